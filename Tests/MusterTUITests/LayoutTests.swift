import MusterCore
import MusterPresentation
@testable import MusterTUI
import Testing

@Suite("Wrapping, frames and the transcript buffer")
struct LayoutTests {
    @Test("wrapping breaks at spaces and indents continuation rows under the text")
    func wrapAtSpaces() {
        #expect(TextWrapper.wrap("the quick brown fox jumps", width: 10) == ["the quick", "brown fox", "jumps"])
        #expect(TextWrapper.wrap("    │ progress line that wraps", width: 16) == ["    │ progress", "      line that", "      wraps"])
        #expect(TextWrapper.wrap("short", width: 10) == ["short"])
        #expect(TextWrapper.wrap("", width: 10) == [""])
    }

    @Test("a word longer than the row is cut hard")
    func hardBreak() {
        #expect(TextWrapper.wrap("abcdefghij", width: 4) == ["abcd", "efgh", "ij"])
    }

    @Test("wide characters are never split across rows")
    func wrapWide() {
        let rows = TextWrapper.wrap("ab日本語", width: 5)
        #expect(rows == ["ab日", "本語"])
        for row in rows { #expect(DisplayWidth.of(row) <= 5) }
    }

    @Test("a wide character that does not fit at the edge of a frame becomes a space")
    func frameEdge() {
        var frame = Frame(size: ScreenSize(rows: 1, columns: 5))
        let end = frame.draw("abcd日", row: 0, column: 0)
        #expect(end == 5)
        #expect(frame.rowText(0) == "abcd")
        frame.draw("日本", row: 0, column: 0)
        #expect(frame.rowText(0) == "日本")
        frame.draw("x", row: 0, column: 1)
        #expect(frame.rowText(0) == " x本")
    }

    @Test("the diff of two frames holds only the changed cells")
    func diff() {
        var old = Frame(size: ScreenSize(rows: 2, columns: 10))
        old.draw("hello", row: 0, column: 0)
        var new = old
        new.draw("J", row: 0, column: 0)
        #expect(FrameDiff.changes(from: old, to: new) == [FrameDiff.Change(row: 0, column: 0, cell: Cell("J"))])
        #expect(FrameDiff.changes(from: nil, to: new).count == 20)
        var wide = old
        wide.draw("日", row: 1, column: 3)
        let changes = FrameDiff.changes(from: old, to: wide)
        #expect(changes == [FrameDiff.Change(row: 1, column: 3, cell: Cell("日"))])
    }

    @Test("the transcript follows new output unless scrolled up, and stays put when it is")
    func scrolling() {
        var buffer = TranscriptBuffer()
        buffer.append((1...10).map { TranscriptLine("line \($0)") }, width: 20)
        do { let result = buffer.visibleRows(width: 20, height: 3).map(\.text); #expect(result == ["line 8", "line 9", "line 10"]) }
        buffer.scroll(by: 2, width: 20, height: 3)
        do { let result = buffer.visibleRows(width: 20, height: 3).map(\.text); #expect(result == ["line 6", "line 7", "line 8"]) }
        buffer.append([TranscriptLine("line 11")], width: 20)
        do { let result = buffer.visibleRows(width: 20, height: 3).map(\.text); #expect(result == ["line 6", "line 7", "line 8"]) }
        #expect(buffer.unseenLines == 1)
        buffer.scroll(by: 100, width: 20, height: 3)
        do { let result = buffer.visibleRows(width: 20, height: 3).map(\.text); #expect(result == ["line 1", "line 2", "line 3"]) }
        buffer.scroll(by: -100, width: 20, height: 3)
        #expect(!buffer.isScrolledUp)
        do { let result = buffer.visibleRows(width: 20, height: 3).map(\.text); #expect(result == ["line 9", "line 10", "line 11"]) }
    }

    @Test("the streaming line shows after the transcript while following")
    func streamingRow() {
        var buffer = TranscriptBuffer()
        buffer.append([TranscriptLine("done")], width: 20)
        do { let result = buffer.visibleRows(width: 20, height: 3, trailing: [TranscriptLine("partial")]).map(\.text); #expect(result == ["done", "partial"]) }
    }

    @Test("the transcript drops its oldest lines beyond its capacity")
    func capacity() {
        var buffer = TranscriptBuffer(capacity: 8)
        buffer.append((1...20).map { TranscriptLine("\($0)") }, width: 10)
        #expect(buffer.count <= 10)
        #expect(buffer.texts.last == "20")
    }

    @Test("table rows are cut at the edge instead of wrapped")
    func noWrap() {
        var buffer = TranscriptBuffer()
        buffer.append([TranscriptLine("ID  NAME  ACTIVITY step 3", wraps: false)], width: 12)
        do { let result = buffer.visibleRows(width: 12, height: 2).map(\.text); #expect(result == ["ID  NAME  A…"]) }
    }
}
