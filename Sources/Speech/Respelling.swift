import ReportModel

/// What the voice says in place of some words of our texts: espeak-ng 1.51 mispronounces a few Swedish words
/// (stress on the wrong syllable, a long vowel short, `sk` as the sj-sound), and reads numbers as numbers where
/// they must be digits ("112" is "ett ett två", never "etthundratolv"). Applied to what is spoken only, never to
/// the screen.
///
/// The rules live in the language files, beside the texts they fix (one home): every key
/// `speech.respell.<name>` of a language's file is one rule `written > spoken`, for that language only (no
/// fallback to Swedish). `spoken` is letters, or espeak's phoneme mnemonics within `[[ ]]`. A rule matches
/// regardless of case, and only a whole word where its ends are letters or digits; the longest rule wins.
///
///     speech.respell.112 = 112 > ett ett två
///     speech.respell.akut = akut > [[ak'u-:t]]
public struct Respelling: Sendable, Equatable {
    public struct Rule: Sendable, Equatable {
        public let written: [Character]
        public let spoken: String
    }
    /// Longest `written` first.
    public let rules: [Rule]

    public static let keyPrefix = "speech.respell."

    public init(rules: [(written: String, spoken: String)]) {
        self.rules = rules.filter { !$0.written.isEmpty }
            .map { Rule(written: Array($0.written.lowercased()), spoken: $0.spoken) }
            .sorted { $0.written.count != $1.written.count ? $0.written.count > $1.written.count
                                                         : String($0.written) < String($1.written) }
    }

    /// The rules among a language file's strings (`speech.respell.*` = `written > spoken`); values without `>`
    /// are skipped.
    public init(strings: [String: String]) {
        var rules: [(String, String)] = []
        for (key, value) in strings where key.hasPrefix(Self.keyPrefix) {
            guard let gt = value.firstIndex(of: ">") else { continue }
            let written = value[..<gt].trimmingSpaces()
            let spoken = value[value.index(after: gt)...].trimmingSpaces()
            if !written.isEmpty { rules.append((written, spoken)) }
        }
        self.init(rules: rules)
    }

    /// `text` as the voice should get it. `[` and `]` of the text itself are dropped first, so that only a rule
    /// can hand the voice phonemes.
    public func apply(_ text: String) -> String {
        let chars = Array(text.filter { $0 != "[" && $0 != "]" })
        guard !rules.isEmpty else { return String(chars) }
        let lower = chars.map { c -> Character in
            let l = c.lowercased()
            return l.count == 1 ? Character(l) : c
        }
        func isWordCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber }
        var out = ""
        out.reserveCapacity(chars.count + 32)
        var i = 0
        outer: while i < chars.count {
            for rule in rules {
                let n = rule.written.count
                guard i + n <= lower.count, lower[i] == rule.written[0], Array(lower[i..<(i + n)]) == rule.written else { continue }
                if isWordCharacter(rule.written[0]), i > 0, isWordCharacter(chars[i - 1]) { continue }
                if isWordCharacter(rule.written[n - 1]), i + n < chars.count, isWordCharacter(chars[i + n]) { continue }
                out += rule.spoken
                i += n
                continue outer
            }
            out.append(chars[i])
            i += 1
        }
        return out
    }
}
