@testable import MusterTUI
import Testing

@Suite("Plain-mode input lines are bounded")
struct BoundedLineSplitterTests {
    @Test("lines split at newlines, CRLF and a last line without newline included")
    func splits() {
        var splitter = BoundedLineSplitter(limit: 16)
        #expect(splitter.feed(Array("one\r\ntw".utf8)) == [.text("one")])
        #expect(splitter.feed(Array("o\nthree".utf8)) == [.text("two")])
        #expect(splitter.finish() == .text("three"))
        #expect(splitter.finish() == nil)
    }

    @Test("a line over the limit is dropped as it arrives, counted whole, and the next line is whole again")
    func overLongLine() {
        var splitter = BoundedLineSplitter(limit: 8)
        var held: [Int] = []
        for _ in 0..<100 {
            #expect(splitter.feed(Array("aaaaaaa".utf8)).isEmpty)
            held.append(splitter.bufferedBytes)
        }
        #expect(held.allSatisfy { $0 <= 8 }, "never more than the limit is held")
        #expect(splitter.feed(Array("\nok\n".utf8)) == [.tooLong(bytes: 700), .text("ok")])
    }

    @Test("a line of exactly the limit is kept")
    func exactlyTheLimit() {
        var splitter = BoundedLineSplitter(limit: 4)
        #expect(splitter.feed(Array("abcd\nabcde\n".utf8)) == [.text("abcd"), .tooLong(bytes: 5)])
    }
}
