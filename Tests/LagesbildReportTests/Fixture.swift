import LagesbildReport
import ReportModel

/// A realistic two-week lägesbild: 143 reports (122 the two weeks before) at eleven places, three kiosks of
/// which one is silent, one open seq gap, three dead letters and two rejects.
///
/// The picture is aggregated from individual reports, so every breakdown adds up to the same totals, as the
/// central store's would.
enum Fixture {
    /// Swedish winter time.
    static let offset = 3600
    /// 2026-11-11T00:00:00+01:00.
    static let since: Int64 = 1_794_351_600_000
    static let day: Int64 = 86_400_000
    static let hour: Int64 = 3_600_000
    /// 2026-11-25T00:00:00+01:00: fourteen whole days.
    static let until: Int64 = since + 14 * day
    /// The next morning at 08:00.
    static let generatedAt: Int64 = until + 8 * hour

    /// This period: place → category → count.
    static let current: [(String, [(Category, Int)])] = [
        ("Centrum", [(.drugs, 12), (.youthGroups, 9), (.unsafePlace, 6), (.theft, 5), (.vandalism, 4), (.threatsViolence, 2)]),
        ("Busstationen", [(.unsafePlace, 10), (.drugs, 7), (.threatsViolence, 4), (.theft, 3), (.youthGroups, 2)]),
        ("Skolan", [(.online, 8), (.youthGroups, 5), (.traffic, 4), (.threatsViolence, 3), (.vandalism, 2)]),
        ("Ungdomsgården", [(.drugs, 6), (.youthGroups, 5), (.online, 3), (.threatsViolence, 1)]),
        ("Parken vid ån", [(.unsafePlace, 9), (.drugs, 3), (.vandalism, 2)]),
        ("Torget", [(.theft, 4), (.fraud, 2), (.other, 1)]),
        ("Biblioteket", [(.fraud, 3), (.online, 2)]),
        ("Idrottsplatsen", [(.vandalism, 3), (.traffic, 2)]),
        ("Stationsgatan", [(.traffic, 5)]),
        ("Träffpunkt Solgården", [(.fraud, 4)]),
        ("Gång- och cykeltunneln", [(.unsafePlace, 2)]),
    ]

    /// The two weeks before.
    static let previous: [(String, [(Category, Int)])] = [
        ("Centrum", [(.drugs, 8), (.youthGroups, 8), (.unsafePlace, 5), (.theft, 6), (.vandalism, 3)]),
        ("Busstationen", [(.unsafePlace, 12), (.drugs, 8), (.threatsViolence, 5), (.theft, 4)]),
        ("Skolan", [(.online, 6), (.youthGroups, 4), (.threatsViolence, 2), (.traffic, 3)]),
        ("Ungdomsgården", [(.drugs, 7), (.youthGroups, 6), (.online, 3)]),
        ("Parken vid ån", [(.unsafePlace, 4), (.drugs, 2)]),
        ("Torget", [(.theft, 5), (.fraud, 2), (.other, 1)]),
        ("Biblioteket", [(.fraud, 3), (.online, 2)]),
        ("Idrottsplatsen", [(.vandalism, 4)]),
        ("Stationsgatan", [(.traffic, 6)]),
        ("Gång- och cykeltunneln", [(.unsafePlace, 3)]),
    ]

    struct Report {
        var place: String
        var category: Category
        var kiosk: String
        var occurred: String
        var ageGroup: String?
        var event: String?
    }

    /// The reports of one period, each given a kiosk, an `occurred` and an age group in a fixed pattern.
    static func reports(_ matrix: [(String, [(Category, Int)])]) -> [Report] {
        let occurred = ["today", "now", "this_week", "today", "earlier", "unknown", "date", "this_week"]
        let ages: [String?] = ["youth", "adult", "youth", "senior", nil, "adult", "youth"]
        var out: [Report] = []
        var i = 0
        for (place, cells) in matrix {
            for (category, n) in cells {
                for _ in 0..<n {
                    let kiosk: String
                    switch place {
                    case "Ungdomsgården", "Skolan": kiosk = "gotene-ungdomsgarden-1"
                    case "Biblioteket", "Träffpunkt Solgården", "Torget": kiosk = "gotene-biblioteket-1"
                    default: kiosk = ["gotene-medborgarkontoret-1", "gotene-medborgarkontoret-1", "gotene-biblioteket-1", "gotene-ungdomsgarden-1"][i % 4]
                    }
                    let event = kiosk == "gotene-biblioteket-1" && i % 3 == 0 ? "Seniormässan" : nil
                    out.append(Report(place: place, category: category, kiosk: kiosk, occurred: occurred[i % occurred.count],
                                      ageGroup: ages[i % ages.count], event: event))
                    i += 1
                }
            }
        }
        return out
    }

    /// Counts by a key over both periods, largest first, ties by key (nil last), as the central store gives them.
    static func breakdown(_ now: [Report], _ before: [Report], all: [String] = [], _ key: (Report) -> String?) -> [Picture.Count] {
        var counts: [String?: (Int, Int)] = [:]
        for k in all { counts[k] = (0, 0) }
        for r in now { counts[key(r), default: (0, 0)].0 += 1 }
        for r in before { counts[key(r), default: (0, 0)].1 += 1 }
        return counts.map { Picture.Count(key: $0.key, current: $0.value.0, previous: $0.value.1) }
            .sorted { a, b in
                if a.current != b.current { return a.current > b.current }
                switch (a.key, b.key) {
                case let (x?, y?): return x < y
                case (_?, nil): return true
                default: return false
                }
            }
    }

    /// The tips of the period with their text (only used when a test asks for them).
    static let tips: [Picture.Tip] = [
        Picture.Tip(submittedAt: since + 2 * day + 15 * hour + 12 * 60_000, kiosk: "gotene-medborgarkontoret-1", seq: 412,
                    category: "drugs", place: "Centrum", occurred: "today",
                    text: "Langning bakom pressbyrån på kvällarna, \"alltid runt 21\"."),
        Picture.Tip(submittedAt: since + 5 * day + 10 * hour, kiosk: "gotene-biblioteket-1", seq: 98,
                    category: "fraud", place: "Träffpunkt Solgården", occurred: "this_week",
                    text: "Någon ringde och sa att de var från banken.\nBad om koden till bank-id."),
        Picture.Tip(submittedAt: since + 9 * day + 19 * hour + 40 * 60_000, kiosk: "gotene-medborgarkontoret-1", seq: 431,
                    category: "theft", place: "Busstationen", occurred: "now",
                    text: "Cykel stulen vid stället, låset avklippt"),
    ]

    /// The picture; `tips: true` adds the tips with their text, as `--include-text` would.
    static func picture(tips: Bool = false) -> Picture {
        let now = reports(current), before = reports(previous)
        var places: [Picture.Place] = []
        for (name, cells) in current {
            var byCategory: [String: Int] = [:]
            for (c, n) in cells { byCategory[c.rawValue, default: 0] += n }
            places.append(Picture.Place(name: name, current: now.filter { $0.place == name }.count,
                                        previous: before.filter { $0.place == name }.count, byCategory: byCategory))
        }
        places.sort { $0.current != $1.current ? $0.current > $1.current : $0.name < $1.name }

        let kiosks = [
            Picture.Kiosk(id: "gotene-ungdomsgarden-1", site: "Ungdomsgården, Götene", state: "online",
                          lastStatusAt: generatedAt - 52 * hour, lastReportAt: generatedAt - 53 * hour,
                          pending: 16, deadLetters: 0, awaitingReceipt: 0, silent: true),
            Picture.Kiosk(id: "gotene-medborgarkontoret-1", site: "Medborgarkontoret, Götene", state: "online",
                          lastStatusAt: generatedAt - 2 * 60_000, lastReportAt: generatedAt - 11 * hour,
                          pending: 0, deadLetters: 3, awaitingReceipt: 0, silent: false),
            Picture.Kiosk(id: "gotene-biblioteket-1", site: "Biblioteket, Götene", state: "online",
                          lastStatusAt: generatedAt - 5 * 60_000, lastReportAt: generatedAt - 30 * hour,
                          pending: 0, deadLetters: 0, awaitingReceipt: 0, silent: false),
        ]
        return Picture(
            period: Picture.Period(since: since, until: until, utcOffsetSeconds: offset),
            generatedAt: generatedAt,
            total: now.count, previousTotal: before.count,
            byCategory: breakdown(now, before, all: Category.allCases.map(\.rawValue)) { $0.category.rawValue },
            byKiosk: breakdown(now, before) { $0.kiosk },
            byEvent: breakdown(now, before) { $0.event },
            byOccurred: breakdown(now, before) { $0.occurred },
            byAgeGroup: breakdown(now, before) { $0.ageGroup },
            places: places,
            kiosks: kiosks,
            gaps: [Picture.Gap(kiosk: "gotene-ungdomsgarden-1", from: 120, to: 135)],
            rejects: 2,
            silentAfterHours: 24,
            tips: tips ? Self.tips : nil)
    }
}
