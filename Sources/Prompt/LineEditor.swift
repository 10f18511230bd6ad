import ReportModel

/// The text being typed into one field: grapheme-aware editing with a bound in Unicode scalars (the contract's
/// `TextCleaner.length`). Pure.
///
/// Everything that enters goes through `TextCleaner` first (typed characters one by one, pastes whole), so
/// control characters, escape sequences and bidi overrides never reach the buffer, the screen or the store.
/// The cursor moves by grapheme clusters, and Backspace/Delete remove a whole cluster (`é` written as `e` +
/// U+0301, a flag, a family emoji) at once.
public struct LineEditor: Sendable, Equatable {
    public private(set) var characters: [Character] = []
    /// Insertion point, in characters (grapheme clusters) from the start: `0...characters.count`.
    public private(set) var cursor = 0
    /// Unicode scalars in the buffer (what the counter shows).
    public private(set) var scalarCount = 0
    /// The most scalars the field holds.
    public let maxScalars: Int
    /// Whether a paste may keep line breaks (typed Enter always finishes the field).
    public let multiline: Bool

    public init(maxScalars: Int, multiline: Bool = false, text: String = "") {
        self.maxScalars = maxScalars
        self.multiline = multiline
        if !text.isEmpty { _ = insertClean(TextCleaner.clean(text, allowNewlines: multiline)) }
    }

    public var text: String { String(characters) }
    public var isEmpty: Bool { characters.isEmpty }
    public var isFull: Bool { scalarCount >= maxScalars }

    /// The value to keep when the field is finished: cleaned (NFC, trimmed) and within the bound.
    public var committedValue: String {
        TextCleaner.prefix(TextCleaner.clean(text, allowNewlines: multiline), scalars: maxScalars)
    }

    /// Inserts one typed character. Returns false when nothing (or not all) could be inserted: the field is full,
    /// or the character is not allowed.
    @discardableResult
    public mutating func type(_ ch: Character) -> Bool {
        // TextCleaner trims white space at the ends, so a typed space is taken as it is (it is a plain space).
        let cleaned = ch == " " ? " " : TextCleaner.clean(String(ch), allowNewlines: false)
        guard !cleaned.isEmpty else { return false }
        return insertClean(cleaned)
    }

    /// Inserts pasted text, cleaned as a whole and cut at the bound. Returns false when it was cut.
    @discardableResult
    public mutating func paste(_ raw: String) -> Bool {
        let cleaned = TextCleaner.clean(raw, allowNewlines: multiline)
        guard !cleaned.isEmpty else { return true }
        return insertClean(cleaned)
    }

    private mutating func insertClean(_ s: String) -> Bool {
        let room = maxScalars - scalarCount
        let piece = TextCleaner.prefix(s, scalars: max(0, room))
        guard !piece.isEmpty else { return false }
        let lower = max(0, cursor - 1)
        let upper = min(characters.count, cursor + 1)
        let before = String(characters[lower..<cursor]) + piece
        let merged = Array(before + String(characters[cursor..<upper]))
        let beforeCount = Array(before).count
        characters.replaceSubrange(lower..<upper, with: merged)
        cursor = min(lower + beforeCount, characters.count)
        scalarCount += piece.unicodeScalars.count
        return piece.unicodeScalars.count == s.unicodeScalars.count
    }

    /// Deletes the grapheme cluster before the cursor; false when at the start.
    @discardableResult
    public mutating func backspace() -> Bool {
        guard cursor > 0 else { return false }
        remove(at: cursor - 1)
        cursor -= 1
        rejoin(around: cursor)
        return true
    }

    /// Deletes the grapheme cluster after the cursor; false when at the end.
    @discardableResult
    public mutating func deleteForward() -> Bool {
        guard cursor < characters.count else { return false }
        remove(at: cursor)
        rejoin(around: cursor)
        return true
    }

    public mutating func moveLeft() { if cursor > 0 { cursor -= 1 } }
    public mutating func moveRight() { if cursor < characters.count { cursor += 1 } }
    public mutating func moveHome() { cursor = 0 }
    public mutating func moveEnd() { cursor = characters.count }

    public mutating func clear() {
        characters.removeAll()
        cursor = 0
        scalarCount = 0
    }

    private mutating func remove(at i: Int) {
        scalarCount -= characters[i].unicodeScalars.count
        characters.remove(at: i)
    }

    /// After a removal the neighbours may form one cluster (e.g. two regional indicators): re-split them.
    private mutating func rejoin(around i: Int) {
        guard i > 0, i < characters.count else { return }
        let joined = Array(String(characters[i - 1]) + String(characters[i]))
        if joined.count == 1 {
            characters.replaceSubrange((i - 1)...i, with: joined)
            cursor = i - 1 + (cursor > i - 1 ? 1 : 0)
            cursor = min(cursor, characters.count)
        }
    }
}
