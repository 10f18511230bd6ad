/// Personal data in a visitor's free text (`text`, `place`): Swedish phone numbers, e-mail addresses and
/// personnummer / samordningsnummer. `find` tells where they are; `mask` replaces each with a label such as
/// `[telefonnummer]`, so that the report can say which kinds were masked (`"masked": ["phone", …]`).
///
/// Pure and linear in the text: no I/O, no Foundation, no regular expressions.
///
/// ## What is found
/// - **E-mail**: `local@domain.tld`. The local part is letters, digits and `. _ % + -`; the domain has at least
///   two labels of letters, digits and `-` (not at either end of a label), and a last label of at least two
///   letters. A trailing `.` or `-` (the end of a sentence) is not part of the address.
/// - **Digits**: a *number chunk* is a run of ASCII digit groups joined by one separator each: a space (also
///   no-break and thin spaces), a dash (optionally with a space on either side), a slash, or a `+` between
///   digits (only meaningful in `YYMMDD+NNNN`). It may begin with `+`, with `(0)` or with a parenthesized area
///   code `(031)`. The chunk must stand alone: no letter, digit or combining mark directly before or after it,
///   and no decimal point or comma joining it to more digits.
///   A chunk is masked only if it can be cut, at its plain spaces, into pieces that are *each* a phone number
///   or a personnummer (fewest pieces first). A chunk with any left-over piece is not masked at all, so a
///   phone-like prefix of a longer order number stays as typed.
/// - **Personnummer**: `YYMMDD-NNNN`, `YYMMDD+NNNN`, `YYMMDD NNNN`, `YYYYMMDD-NNNN`, `YYYYMMDDNNNN`,
///   `YYMMDDNNNN`; month 01–12, day 01–31 or 61–91 (samordningsnummer), century 18–20 for twelve digits, and
///   the Luhn check over the ten digits YYMMDDNNNN.
/// - **Swedish phone numbers**: national with a leading `0` (not `00`), or `+46` / `0046` (optionally with
///   `(0)`), then 7–9 digits. When split, the first group is the area code (`8`, or 2–4 digits after the 0)
///   and the rest is one group of 5–8 digits or groups of 2–4 digits. At most one slash.
///   `DD-MM-YYYY` shaped text (`08-05-2026`) is a date, not a phone number.
/// - **Other international numbers**: `+` and a country code not starting with 0, 8–15 digits in all.
///
/// ## Ambiguous cases
/// - Ten digits with no separator that start with `0` and are a valid phone number are a *phone number* even
///   when they also pass the Luhn check (`0701234567` is far more often a mobile than a personnummer).
/// - Ten or twelve digits that fail Luhn are not a personnummer; if they are phone-shaped (a leading 0, not
///   `00`) they are a phone number, otherwise nothing.
/// - Numbers without a leading `0` or `+` are never phone numbers: `112`, `114 14`, postcodes, prices, years,
///   bus lines and street numbers are kept as typed.
public enum PersonalData {
    public enum Kind: String, Sendable, CaseIterable {
        case phone, email, personnummer
    }

    /// One piece of personal data: its kind and where it is in the text the search was given. The bounds are
    /// indices of that string's Unicode scalars, always next to an ASCII character of the match, so they are
    /// also character boundaries.
    public struct Match: Sendable, Equatable {
        public var kind: Kind
        public var range: Range<String.Index>
        public init(kind: Kind, range: Range<String.Index>) {
            self.kind = kind
            self.range = range
        }
    }

    public static let swedishLabels: [Kind: String] = [
        .phone: "[telefonnummer]", .email: "[e-post]", .personnummer: "[personnummer]",
    ]
    public static let englishLabels: [Kind: String] = [
        .phone: "[phone number]", .email: "[e-mail]", .personnummer: "[personal identity number]",
    ]

    /// The personal data in `text`, sorted by position and never overlapping.
    public static func find(in text: String) -> [Match] {
        let scalars = Array(text.unicodeScalars)
        var indices = Array(text.unicodeScalars.indices)
        indices.append(text.unicodeScalars.endIndex)

        var spans: [(kind: Kind, lower: Int, upper: Int)] = []
        let emails = findEmails(scalars)
        var e = 0   // next e-mail not yet passed
        var i = 0
        while i < scalars.count {
            if e < emails.count, i >= emails[e].lower {
                spans.append((.email, emails[e].lower, emails[e].upper))
                i = emails[e].upper
                e += 1
                continue
            }
            guard canStartChunk(scalars, i) else { i += 1; continue }
            let chunk = readChunk(scalars, from: i)
            guard let last = chunk.last else { i += 1; continue }
            let end = last.upper
            let overlapsEmail = e < emails.count && emails[e].lower < end
            if !overlapsEmail, standsAlone(scalars, lower: i, upper: end) {
                for piece in cover(chunk) { spans.append(piece) }
            }
            // Never start again inside a chunk: its digits are not a match of their own.
            i = overlapsEmail ? max(i + 1, min(end, emails[e].lower)) : end
        }
        return spans.map { Match(kind: $0.kind, range: indices[$0.lower]..<indices[$0.upper]) }
    }

    /// `text` with each match replaced by its label (`[\(kind.rawValue)]` where `labels` has none), and the
    /// kinds that were masked, each once, in `Kind.allCases` order. Text with nothing to mask comes back as is.
    public static func mask(_ text: String, labels: [Kind: String]) -> (text: String, kinds: [Kind]) {
        mask(text, labels: labels, marking: false)
    }

    /// With `marking`, each match is kept and put between » and « (for the review screen) instead of replaced.
    public static func mask(_ text: String, labels: [Kind: String], marking: Bool) -> (text: String, kinds: [Kind]) {
        let matches = find(in: text)
        if matches.isEmpty { return (text, []) }
        let view = text.unicodeScalars
        var out = String.UnicodeScalarView()
        var from = view.startIndex
        var found = Set<Kind>()
        for m in matches {
            out.append(contentsOf: view[from..<m.range.lowerBound])
            if marking {
                out.append(contentsOf: "»".unicodeScalars)
                out.append(contentsOf: view[m.range])
                out.append(contentsOf: "«".unicodeScalars)
            } else {
                out.append(contentsOf: (labels[m.kind] ?? "[\(m.kind.rawValue)]").unicodeScalars)
            }
            from = m.range.upperBound
            found.insert(m.kind)
        }
        out.append(contentsOf: view[from...])
        return (String(out), Kind.allCases.filter(found.contains))
    }

    // MARK: - Characters

    static func isDigit(_ s: Unicode.Scalar) -> Bool { ("0"..."9").contains(s) }
    static func isASCIILetter(_ s: Unicode.Scalar) -> Bool { ("a"..."z").contains(s) || ("A"..."Z").contains(s) }

    /// A letter, digit (of any script) or combining mark: what a match may not touch.
    static func isWord(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII { return isDigit(s) || isASCIILetter(s) || s == "_" }
        if s.properties.isAlphabetic { return true }
        switch s.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber, .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    static func isSpace(_ s: Unicode.Scalar) -> Bool {
        s == " " || s == "\u{A0}" || s == "\u{202F}" || s == "\u{2009}"
    }

    static func isDash(_ s: Unicode.Scalar) -> Bool {
        s == "-" || s == "\u{2010}" || s == "\u{2011}" || s == "\u{2013}"
    }

    // MARK: - E-mail

    static func isLocalChar(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII { return isDigit(s) || isASCIILetter(s) || ".-_%+".unicodeScalars.contains(s) }
        return isWord(s)
    }

    static func isDomainChar(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII { return isDigit(s) || isASCIILetter(s) || s == "." || s == "-" }
        return isWord(s)
    }

    /// The e-mail addresses, as scalar offsets, sorted and not overlapping.
    static func findEmails(_ s: [Unicode.Scalar]) -> [(lower: Int, upper: Int)] {
        var found: [(lower: Int, upper: Int)] = []
        var a = 0
        while a < s.count {
            defer { a += 1 }
            guard s[a] == "@", found.last.map({ $0.upper <= a }) ?? true else { continue }
            var lower = a
            while lower > (found.last?.upper ?? 0), isLocalChar(s[lower - 1]) { lower -= 1 }
            while lower < a, s[lower] == "." { lower += 1 }
            guard lower < a, lower == 0 || s[lower - 1] != "@" else { continue }
            var upper = a + 1
            while upper < s.count, isDomainChar(s[upper]) { upper += 1 }
            while upper > a + 1, s[upper - 1] == "." || s[upper - 1] == "-" { upper -= 1 }
            guard upper < s.count ? !isWord(s[upper]) : true else { continue }
            let labels = s[(a + 1)..<upper].split(separator: ".", omittingEmptySubsequences: false)
            guard labels.count >= 2,
                  labels.allSatisfy({ !$0.isEmpty && $0.first != "-" && $0.last != "-" }),
                  let tld = labels.last, tld.count >= 2,
                  tld.allSatisfy({ !$0.isASCII || isASCIILetter($0) })
            else { continue }
            found.append((lower, upper))
            a = upper - 1
        }
        return found
    }

    // MARK: - Number chunks

    enum Separator { case none, space, dash, slash, plus }

    /// One group of a number chunk: its ASCII digits, how it is joined to the group before, and its shape.
    struct Group {
        var digits: [UInt8]
        var separator: Separator
        var plus = false        // "+46…"
        var trunk = false       // "(0)"
        var parenthesized = false  // "(031)"
        var lower: Int
        var upper: Int
    }

    /// Whether a chunk may start at `i`: a digit, `+digit` or `(digit`, not glued to a word or to a number
    /// before it (`3,5`, `18:30`).
    static func canStartChunk(_ s: [Unicode.Scalar], _ i: Int) -> Bool {
        guard isDigit(s[i]) || ((s[i] == "+" || s[i] == "(") && i + 1 < s.count && isDigit(s[i + 1])) else {
            return false
        }
        if i == 0 { return true }
        let before = s[i - 1]
        if isWord(before) || before == "+" || before == "@" { return false }
        if ".,:".unicodeScalars.contains(before), i >= 2, isDigit(s[i - 2]) { return false }
        return true
    }

    /// Whether the chunk `lower..<upper` is not glued to anything after it.
    static func standsAlone(_ s: [Unicode.Scalar], lower: Int, upper: Int) -> Bool {
        guard upper < s.count else { return true }
        let after = s[upper]
        if isWord(after) || after == "@" { return false }
        if ".,:/".unicodeScalars.contains(after) || isDash(after) || after == "+",
           upper + 1 < s.count, isDigit(s[upper + 1]) { return false }
        return true
    }

    static func readGroup(_ s: [Unicode.Scalar], at p: Int, separator: Separator, first: Bool) -> Group? {
        guard p < s.count else { return nil }
        func digits(from q: Int) -> Int { var r = q; while r < s.count, isDigit(s[r]) { r += 1 }; return r }
        func bytes(_ r: Range<Int>) -> [UInt8] { s[r].map { UInt8($0.value - 48) } }
        if s[p] == "+" {
            guard first || separator == .space else { return nil }
            let end = digits(from: p + 1)
            guard end > p + 1 else { return nil }
            return Group(digits: bytes((p + 1)..<end), separator: separator, plus: true, lower: p, upper: end)
        }
        if s[p] == "(" {
            let end = digits(from: p + 1)
            guard end > p + 1, end < s.count, s[end] == ")", s[p + 1] == "0" else { return nil }
            let d = bytes((p + 1)..<end)
            if d == [0] { return Group(digits: d, separator: separator, trunk: true, lower: p, upper: end + 1) }
            return Group(digits: d, separator: separator, parenthesized: true, lower: p, upper: end + 1)
        }
        guard isDigit(s[p]) else { return nil }
        let end = digits(from: p)
        return Group(digits: bytes(p..<end), separator: separator, lower: p, upper: end)
    }

    /// The groups of the chunk that starts at `start` (empty if none does). Bounded: a chunk stops after 64
    /// groups, which no phone number or personnummer comes near.
    static func readChunk(_ s: [Unicode.Scalar], from start: Int) -> [Group] {
        guard let first = readGroup(s, at: start, separator: .none, first: true) else { return [] }
        var groups = [first]
        while groups.count < 64 {
            let q = groups[groups.count - 1].upper
            guard q < s.count else { break }
            var p = q
            var sep = Separator.none
            if isSpace(s[p]) { sep = .space; p += 1 }
            if p < s.count {
                if isDash(s[p]) { sep = .dash; p += 1 }
                else if s[p] == "/" { sep = .slash; p += 1 }
                else if sep == .none, s[p] == "+" { sep = .plus; p += 1 }
                if sep == .dash || sep == .slash, p < s.count, isSpace(s[p]) { p += 1 }
            }
            // "+46(0)70": the trunk zero may follow the country code directly, and "(0)70" the area code it.
            if sep == .none, !(groups.last!.plus && p < s.count && s[p] == "("),
               !(groups.last!.trunk && p < s.count && isDigit(s[p])) { break }
            guard let g = readGroup(s, at: p, separator: sep, first: false) else { break }
            if sep == .plus, g.plus || g.trunk || g.parenthesized { break }
            if g.plus, sep != .space { break }
            groups.append(g)
        }
        return groups
    }

    /// Cuts the chunk at its plain spaces into the fewest pieces that are each a phone number or a
    /// personnummer; no pieces if it cannot be cut so.
    static func cover(_ groups: [Group]) -> [(kind: Kind, lower: Int, upper: Int)] {
        let n = groups.count
        let longest = 10  // groups in a piece: "+46 (0)70 123 45 67" has 6
        // best[i]: the fewest pieces covering groups[i...], and the first piece's end and kind.
        var best = [(count: Int, end: Int, kind: Kind)?](repeating: nil, count: n + 1)
        best[n] = (0, n, .phone)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in (i + 1)...min(n, i + longest) {
                if j < n, groups[j].separator != .space { continue }
                guard let rest = best[j], let kind = classify(groups[i..<j]) else { continue }
                if best[i].map({ rest.count + 1 < $0.count }) ?? true { best[i] = (rest.count + 1, j, kind) }
            }
        }
        guard best[0] != nil else { return [] }
        var pieces: [(kind: Kind, lower: Int, upper: Int)] = []
        var i = 0
        while i < n, let b = best[i] {
            pieces.append((b.kind, groups[i].lower, groups[b.end - 1].upper))
            i = b.end
        }
        return pieces
    }

    static func classify(_ g: ArraySlice<Group>) -> Kind? {
        let phone = isPhone(g)
        if isPersonnummer(g) {
            // "0701234567": ten digits with a leading 0 that make a phone number are one.
            if phone, g.count == 1, g.first!.digits.first == 0 { return .phone }
            return .personnummer
        }
        return phone ? .phone : nil
    }

    // MARK: - Personnummer

    static func isPersonnummer(_ g: ArraySlice<Group>) -> Bool {
        guard g.allSatisfy({ !$0.plus && !$0.trunk && !$0.parenthesized }) else { return false }
        var ten: [UInt8]
        let first = g.first!
        switch g.count {
        case 1:
            guard first.digits.count == 10 || first.digits.count == 12 else { return false }
            ten = first.digits
        case 2:
            let last = g.last!
            guard last.digits.count == 4, first.digits.count == 6 || first.digits.count == 8 else { return false }
            switch last.separator {
            case .dash, .space: break
            case .plus: guard first.digits.count == 6 else { return false }
            default: return false
            }
            ten = first.digits + last.digits
        default:
            return false
        }
        if ten.count == 12 {
            guard (18...20).contains(Int(ten[0]) * 10 + Int(ten[1])) else { return false }
            ten.removeFirst(2)
        }
        let month = Int(ten[2]) * 10 + Int(ten[3])
        let day = Int(ten[4]) * 10 + Int(ten[5])
        guard (1...12).contains(month), (1...31).contains(day) || (61...91).contains(day) else { return false }
        return luhn(ten)
    }

    /// The Luhn check: weights 2, 1, 2, 1, … from the left, digits of the products summed, a multiple of 10.
    static func luhn(_ digits: [UInt8]) -> Bool {
        var sum = 0
        for (k, d) in digits.enumerated() {
            let p = Int(d) * (k % 2 == 0 ? 2 : 1)
            sum += p / 10 + p % 10
        }
        return sum % 10 == 0
    }

    // MARK: - Phone numbers

    static func isPhone(_ g: ArraySlice<Group>) -> Bool {
        guard !g.contains(where: { $0.separator == .plus }),
              g.filter({ $0.separator == .slash }).count <= 1 else { return false }
        let first = g.first!
        var rest = g.dropFirst()
        // No "(0)" or "(031)" anywhere else than at the start or after the country code.
        func noParens(_ r: ArraySlice<Group>) -> Bool { !r.contains { $0.trunk || $0.parenthesized || $0.plus } }

        var parts: [[UInt8]]
        if first.plus || (first.digits.starts(with: [0, 0, 4, 6]) && !first.parenthesized && !first.trunk) {
            let code = first.plus ? Array(first.digits) : Array(first.digits.dropFirst(2))
            guard code.starts(with: [4, 6]) else {
                return first.plus && isInternational(code: code, rest: rest)
            }
            if let t = rest.first, t.trunk, t.separator == .none || t.separator == .space { rest = rest.dropFirst() }
            guard noParens(rest) else { return false }
            parts = [Array(code.dropFirst(2))] + rest.map(\.digits)
            if parts[0].isEmpty { parts.removeFirst() }
            guard !parts.isEmpty else { return false }
            if parts[0].first == 0 { parts[0].removeFirst() }   // "+46 070…", written with its trunk zero
            if parts[0].isEmpty { return false }
        } else if first.trunk {
            guard noParens(rest), let area = rest.first, area.digits.first != 0 else { return false }
            parts = rest.map(\.digits)
        } else {
            guard noParens(rest), first.digits.count >= 2, first.digits[0] == 0, first.digits[1] != 0 else {
                return false
            }
            if isDate(g) { return false }
            parts = [Array(first.digits.dropFirst())] + rest.map(\.digits)
        }
        return isSwedishSignificant(parts)
    }

    /// The national significant number of a Swedish phone number, in the groups it was written in.
    static func isSwedishSignificant(_ parts: [[UInt8]]) -> Bool {
        let total = parts.reduce(0) { $0 + $1.count }
        guard (7...9).contains(total), parts[0].first != 0 else { return false }
        if parts.count == 1 { return true }
        let area = parts[0]
        guard (1...4).contains(area.count), area.count > 1 || area == [8] else { return false }
        let tail = parts.dropFirst()
        if tail.count == 1 { return (5...8).contains(tail.first!.count) }
        return tail.allSatisfy { (2...4).contains($0.count) }
    }

    /// "08-05-2026": a day, a month and a year, not a phone number.
    static func isDate(_ g: ArraySlice<Group>) -> Bool {
        guard g.count == 3 else { return false }
        let d = g.map(\.digits)
        guard d[0].count == 2, d[1].count == 2, d[2].count == 4 else { return false }
        let month = Int(d[1][0]) * 10 + Int(d[1][1])
        let century = Int(d[2][0]) * 10 + Int(d[2][1])
        return (1...12).contains(month) && (century == 19 || century == 20)
    }

    /// `+<country> …` outside Sweden: a country code not starting with 0, 8–15 digits in all.
    static func isInternational(code: [UInt8], rest: ArraySlice<Group>) -> Bool {
        guard code.first != 0 else { return false }
        var r = rest
        if let t = r.first, t.trunk { r = r.dropFirst() }
        guard !r.contains(where: { $0.trunk || $0.parenthesized || $0.plus }) else { return false }
        let total = code.count + r.reduce(0) { $0 + $1.digits.count }
        return (8...15).contains(total)
    }
}

extension ReportDraft {
    /// The kinds of personal data in `text` and `place`, in `Kind` order.
    public var personalData: [PersonalData.Kind] {
        let found = Set(PersonalData.find(in: text).map(\.kind) + PersonalData.find(in: place).map(\.kind))
        return PersonalData.Kind.allCases.filter(found.contains)
    }

    /// The draft with every phone number, e-mail address and personnummer in `text` and `place` replaced by its
    /// label, and `masked` naming what was replaced. Contact details (the contact step) are not touched.
    public func maskingPersonalData(labels: [PersonalData.Kind: String]) -> ReportDraft {
        var d = self
        let t = PersonalData.mask(text, labels: labels)
        let p = PersonalData.mask(place, labels: labels)
        d.text = t.text
        d.place = p.text
        let kinds = Set(t.kinds + p.kinds)
        d.masked = PersonalData.Kind.allCases.filter(kinds.contains)
        return d
    }
}
