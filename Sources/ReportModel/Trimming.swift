/// Trimming without Foundation (which would bring its Unicode data, ICU, into every command of the kiosk).
extension StringProtocol {
    /// The text without Unicode white space at either end: spaces of every kind, tabs and line breaks (the
    /// Unicode `White_Space` property, the same set as Foundation's `.whitespacesAndNewlines`).
    public func trimmingWhitespace() -> String {
        trimming { $0.properties.isWhitespace }
    }

    /// The text without spaces and tabs at either end (general category Zs and U+0009, the same set as
    /// Foundation's `.whitespaces`); line breaks stay.
    public func trimmingSpaces() -> String {
        trimming { $0.value == 0x09 || $0.properties.generalCategory == .spaceSeparator }
    }

    /// The text without the scalars for which `drop` is true at either end.
    public func trimming(where drop: (Unicode.Scalar) -> Bool) -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !drop($0) }),
              let last = scalars.lastIndex(where: { !drop($0) }) else { return "" }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}
