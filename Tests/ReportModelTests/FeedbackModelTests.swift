import ReportModel
import Testing

/// The feedback payload (`lagesbild.feedback.v1`): made, written, read back, cleaned, bounded, and chosen.
@Suite struct FeedbackModelTests {
    static let at = "2026-11-25T10:00:00.000+01:00"

    static func decode(_ s: String) throws -> Feedback {
        try Array(s.utf8).withUnsafeBytes { try Feedback.decode($0) }
    }

    @Test func roundTripSwedishFirst() throws {
        let f = try Feedback.make(text: ["en": "Fixed.", "sv": "Lagat."], publishedAt: Self.at, until: "2026-12-31")
        #expect(f.json == #"{"schema":"lagesbild.feedback.v1","text":{"sv":"Lagat.","en":"Fixed."},"published_at":"2026-11-25T10:00:00.000+01:00","until":"2026-12-31"}"#)
        #expect(try Self.decode(f.json) == f)
    }

    @Test func cleanedAndBounded() throws {
        let f = try Self.decode(#"{"schema":"lagesbild.feedback.v1.3","text":{"sv":"Hej\u001b[2J där\u202e"},"published_at":"\#(Self.at)","extra":1}"#)
        #expect(f.text["sv"] == "Hej där")
        #expect(throws: Feedback.Problem.self) { try Feedback.make(text: ["sv": String(repeating: "å", count: 401)], publishedAt: Self.at, until: nil) }
        #expect(try Feedback.make(text: ["sv": String(repeating: "å", count: 400)], publishedAt: Self.at, until: nil).text["sv"]?.count == 400)
        for bad in [#"{"schema":"lagesbild.feedback.v2","text":{"sv":"x"},"published_at":"\#(Self.at)"}"#,
                    #"{"schema":"lagesbild.feedback.v1","text":"x","published_at":"\#(Self.at)"}"#,
                    #"{"schema":"lagesbild.feedback.v1","text":{"sv":7},"published_at":"\#(Self.at)"}"#,
                    #"{"schema":"lagesbild.feedback.v1","text":{"sv":"  "},"published_at":"\#(Self.at)"}"#,
                    #"{"schema":"lagesbild.feedback.v1","text":{"sv":"x"}}"#,
                    #"{"schema":"lagesbild.feedback.v1","text":{"sv":"x"},"published_at":"\#(Self.at)","until":"soon"}"#,
                    #"{"schema":"lagesbild.feedback.v1","text":{"s_v":"x"},"published_at":"\#(Self.at)"}"#,
                    "not json"] {
            #expect(throws: Feedback.Problem.self, "\(bad)") { try Self.decode(bad) }
        }
        let big = #"{"schema":"lagesbild.feedback.v1","text":{"sv":""# + String(repeating: "a", count: 9000) + #""},"published_at":"\#(Self.at)"}"#
        do {
            _ = try Self.decode(big)
            Issue.record("took 9 kB")
        } catch {
            #expect(!"\(error)".contains("aaaa"), "a refusal never quotes the text")
        }
    }

    @Test func visitorsLanguageElseSwedish() throws {
        let f = try Feedback.make(text: ["sv": "Lagat.", "en": "Fixed."], publishedAt: Self.at, until: nil)
        #expect(f.text(for: "en") == "Fixed." && f.text(for: "sv-FI") == "Lagat." && f.text(for: "ar") == "Lagat.")
    }

    @Test func untilAndWhichWins() throws {
        let day = try Feedback.make(text: ["sv": "a"], publishedAt: Self.at, until: "2026-11-25")
        let offset = 3600
        let noonLocal: Int64 = 1_795_000_000_000 // 2026-11-18; well before the end of the 25th
        #expect(day.isShown(atUnixMillis: noonLocal, utcOffsetSeconds: offset))
        let endOf25th = RFC3339.parse("2026-11-26T00:00:00+01:00")!
        #expect(day.isShown(atUnixMillis: endOf25th - 1, utcOffsetSeconds: offset))
        #expect(!day.isShown(atUnixMillis: endOf25th, utcOffsetSeconds: offset))
        let all = try Feedback.make(text: ["sv": "alla"], publishedAt: Self.at, until: nil)
        #expect(Feedback.inForce(own: day, all: all, atUnixMillis: noonLocal, utcOffsetSeconds: offset) == day)
        #expect(Feedback.inForce(own: day, all: all, atUnixMillis: endOf25th, utcOffsetSeconds: offset) == all)
        #expect(Feedback.inForce(own: nil, all: nil, atUnixMillis: endOf25th, utcOffsetSeconds: offset) == nil)
    }
}
