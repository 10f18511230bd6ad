extension FixedWidthInteger {
    /// `self + other`, or the type's largest (smallest) value where that sum would overflow. The centre adds
    /// numbers that kiosks send (seqs, counts): one kiosk's nonsense must not stop a report for all of them.
    public func addingSaturated(_ other: Self) -> Self {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }
}

extension Sequence where Element: FixedWidthInteger {
    /// The sum, saturated at the type's bounds instead of overflowing.
    public func saturatedSum() -> Element { reduce(0) { $0.addingSaturated($1) } }
}
