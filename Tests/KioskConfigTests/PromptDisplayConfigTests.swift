import KioskConfig
import Testing

/// `[prompt] display`: large type on the framebuffer, or the terminal's own characters.
@Suite struct PromptDisplayConfigTests {
    static let base = "[kiosk]\nid = \"k\"\nsite = \"S\"\n[prompt]\n"

    @Test func defaultIsAutoAndBothValuesAreRead() throws {
        #expect(try Configuration.parse(text: Self.base, path: "k.toml").prompt.display == .auto)
        #expect(try Configuration.parse(text: Self.base + "display = \"terminal\"\n", path: "k.toml").prompt.display == .terminal)
        #expect(try Configuration.parse(text: Self.base + "display = \"auto\"\n", path: "k.toml").prompt.display == .auto)
    }

    @Test func aWrongValueIsNamedWithItsLine() {
        do {
            _ = try Configuration.parse(text: Self.base + "display = \"kmscon\"\n", path: "k.toml")
            Issue.record("accepted display = kmscon")
        } catch {
            #expect(error.errors.map(\.description) == [#"k.toml:5: prompt.display: "kmscon" is not one of "auto", "terminal""#])
        }
    }
}
