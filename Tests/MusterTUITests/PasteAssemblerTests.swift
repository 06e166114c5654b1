@testable import MusterCore
@testable import MusterTUI
import Testing

@Suite("Bracketed paste: a pasted text is one input, whatever it contains")
struct PasteAssemblerTests {
    private func scalars(_ text: String) -> [KeyDecoder.Input] {
        text.unicodeScalars.map { .scalar($0) }
    }

    @Test("what comes between the markers is one paste; what comes around it is typed")
    func oneRead() {
        var assembler = PasteAssembler()
        let inputs = scalars("a") + [.pasteStart] + scalars("one\rtwo") + [.pasteEnd] + scalars("b")
        #expect(assembler.assemble(inputs) == scalars("a") + [.pasted("one\ntwo")] + scalars("b"))
        #expect(!assembler.isPasting)
    }

    @Test("a paste that arrives over several reads comes out once, when it ends")
    func severalReads() {
        var assembler = PasteAssembler()
        #expect(assembler.assemble([.pasteStart] + scalars("first ")) == [])
        #expect(assembler.isPasting)
        #expect(assembler.assemble(scalars("line\r\nsecond")) == [])
        #expect(assembler.assemble(scalars(" line") + [.pasteEnd, .key(.up)]) == [.pasted("first line\nsecond line"), .key(.up)])
    }

    @Test("line breaks become \\n, tabs stay, escape and other control characters and bidi overrides go")
    func normalizes() {
        var assembler = PasteAssembler()
        let inputs = [.pasteStart] + scalars("a\r\nb\nc\td\u{1B}e\u{07}f\u{202E}g") + [.key(.down), .pasteEnd]
        #expect(assembler.assemble(inputs) == [.pasted("a\nb\nc\tdefg")])
    }

    @Test("an end marker outside a paste and a second start inside one change nothing")
    func strayMarkers() {
        var assembler = PasteAssembler()
        #expect(assembler.assemble([.pasteEnd] + scalars("x")) == scalars("x"))
        #expect(assembler.assemble([.pasteStart, .pasteStart] + scalars("y") + [.pasteEnd]) == [.pasted("y")])
    }

    @Test("a paste beyond the limit is cut there and still ends at its marker")
    func limit() {
        var assembler = PasteAssembler(limit: 3)
        #expect(assembler.assemble([.pasteStart] + scalars("abcdef") + [.pasteEnd] + scalars("z")) == [.pasted("abc"), .scalar("z")])
    }

    @Test("the decoder turns a paste into one key")
    func decoded() {
        #expect(KeyDecoder().decode([.pasted("one\ntwo"), .pasteEnd, .scalar("\r")]) == [.paste("one\ntwo"), .enter])
    }

    @Test("a pasted text goes into the line at the cursor and Enter sends it whole, line breaks included")
    func editorAndSubmit() {
        var state = RenderFixtures.state()
        let now = ContinuousClock.now
        _ = state.handle(.character(">"), now: now)
        _ = state.handle(.character(" "), now: now)
        #expect(state.handle(.paste("one\ntwo"), now: now).isEmpty)
        #expect(state.editor.text == "> one\ntwo")
        #expect(state.handle(.enter, now: now) == [.submit("> one\ntwo")])
        #expect(state.editor.isEmpty)
    }

    @Test("the input row shows a pasted line break as ↵ and stays one row")
    func rendersOnOneRow() {
        var state = RenderFixtures.state()
        _ = state.handle(.paste("one\ntwo\tthree"), now: ContinuousClock.now)
        let frame = InteractiveRenderer.frame(for: &state)
        let input = frame.rowText(frame.size.rows - 1)
        #expect(input.hasSuffix("one↵two three"))
    }
}
