import ReportModel

extension PictureRenderer {
    /// One row of the shareable HTML's places (the table and the chart), with what may be shown of it.
    ///
    /// The rules (docs/CONTRACT.md §1.9, "html"):
    /// - a place is named only when it is one of the kiosks' quick picks (`[central] places`) or has at least 3
    ///   reports in the period; every other place counts under one row "Annan plats", so a name or a home
    ///   address typed once is never shown;
    /// - a count of 1 or 2 per place and category is shown as "< 3" (`small`);
    /// - in a category column with exactly one such cell, the next smallest count is hidden too (`hidden`,
    ///   "≥ 3"), so that the category's total cannot give the small one away;
    /// - a row with a hidden cell shows its total only as "at least N" (N counts each hidden cell at its least),
    ///   and no change; a previous count of 1 or 2 is "< 3".
    struct ShareableRow: Equatable {
        enum Cell: Equatable { case zero, exact(Int), small, hidden }
        var name: String
        var isOther: Bool
        var current: Int
        var previous: Int
        var byCategory: [String: Int]
        /// Cells of 3 or more hidden to protect a small one in the same column.
        var hiddenCategories: Set<String> = []

        func cell(_ category: String) -> Cell {
            let v = byCategory[category] ?? 0
            if v == 0 { return .zero }
            if v < 3 { return .small }
            return hiddenCategories.contains(category) ? .hidden : .exact(v)
        }
        /// True when the exact total would give a hidden cell away.
        var totalHidden: Bool { byCategory.keys.contains { cell($0) == .small || cell($0) == .hidden } }
        /// The total as shown: exact, or the least it can be.
        var shownTotal: Int {
            guard totalHidden else { return current }
            return byCategory.keys.map { k -> Int in
                switch cell(k) { case .zero: 0; case .small: 1; case .hidden: 3; case .exact(let v): v }
            }.saturatedSum()
        }
        var previousShown: Bool { previous == 0 || previous >= 3 }
    }

    /// The rows of the shareable places, named places largest first (at most `limit`), then "Annan plats";
    /// and the named places beyond `limit` (how many, their reports).
    static func shareablePlaces(_ places: [Picture.Place], quickPicks: [String], limit: Int,
                                _ l: ReportLanguage) -> (rows: [ShareableRow], more: [Picture.Place]) {
        let picks = Set(quickPicks.map(ReceivedReport.placeKey))
        var named: [Picture.Place] = []
        var other = ShareableRow(name: l.otherPlace, isOther: true, current: 0, previous: 0, byCategory: [:])
        for pl in bySize(places) {
            if picks.contains(ReceivedReport.placeKey(pl.name)) || pl.current >= 3 {
                named.append(pl)
            } else {
                other.current = other.current.addingSaturated(pl.current)
                other.previous = other.previous.addingSaturated(pl.previous)
                for (k, v) in pl.byCategory { other.byCategory[k, default: 0] = other.byCategory[k, default: 0].addingSaturated(v) }
            }
        }
        var rows = named.prefix(limit).map {
            ShareableRow(name: $0.name, isOther: false, current: $0.current, previous: $0.previous, byCategory: $0.byCategory)
        }
        if other.current > 0 || other.previous > 0 { rows.append(other) }
        // Secondary suppression: a column with one small cell hides its next smallest count too.
        let categories = Set(rows.flatMap(\.byCategory.keys))
        for k in categories {
            let small = rows.indices.filter { rows[$0].cell(k) == .small }
            guard small.count == 1 else { continue }
            let exact = rows.indices.filter { if case .exact = rows[$0].cell(k) { true } else { false } }
            if let i = exact.min(by: { (rows[$0].byCategory[k] ?? 0) < (rows[$1].byCategory[k] ?? 0) }) {
                rows[i].hiddenCategories.insert(k)
            }
        }
        // Largest first by what is shown, so that the order does not tell more than the numbers; "Annan plats" last.
        let order = rows.filter { !$0.isOther }.enumerated().sorted { a, b in
            a.element.shownTotal != b.element.shownTotal ? a.element.shownTotal > b.element.shownTotal : a.offset < b.offset
        }.map(\.element)
        return (order + rows.filter(\.isOther), Array(named.dropFirst(limit)))
    }
}
