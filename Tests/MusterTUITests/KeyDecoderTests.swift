import MusterTUI
import Testing

@Suite("Decoding keys from terminal input")
struct KeyDecoderTests {
    let decoder = KeyDecoder()

    private func scalars(_ text: String) -> [KeyDecoder.Input] {
        text.unicodeScalars.map { .scalar($0) }
    }

    @Test("printable characters, Enter, Tab and Backspace")
    func basics() {
        #expect(decoder.decode(scalars("a\r\t\u{7F}")) == [.character("a"), .enter, .tab, .backspace])
        #expect(decoder.decode(scalars("日\n")) == [.character("日"), .enter])
    }

    @Test("control characters become Ctrl keys")
    func control() {
        #expect(decoder.decode(scalars("\u{01}\u{05}\u{0B}\u{15}\u{17}\u{04}")) == [
            .control("a"), .control("e"), .control("k"), .control("u"), .control("w"), .control("d"),
        ])
    }

    @Test("Escape followed by a character in the same read is Alt plus that character")
    func alt() {
        #expect(decoder.decode(scalars("\u{1B}b\u{1B}f")) == [.alt("b"), .alt("f")])
        #expect(decoder.decode(scalars("\u{1B}\u{7F}")) == [.altBackspace])
    }

    @Test("a lone Escape, or two in a row, is the Escape key")
    func loneEscape() {
        #expect(decoder.decode(scalars("\u{1B}")) == [.escape])
        #expect(decoder.decode(scalars("\u{1B}\u{1B}")) == [.escape, .escape])
        #expect(decoder.decode([.scalar("\u{1B}"), .key(.up)]) == [.escape, .up])
    }

    @Test("keys curses decoded pass through")
    func functionKeys() {
        #expect(decoder.decode([.key(.pageUp), .key(.home)]) == [.pageUp, .home])
    }

    @Test("C1 controls and unbound control characters are dropped")
    func dropped() {
        #expect(decoder.decode(scalars("\u{00}\u{9B}\u{1C}x")) == [.character("x")])
        #expect(decoder.decode(scalars("a\u{202E}b")) == [.character("a"), .character("b")])
    }
}
