import MusterCore
import MusterTestSupport
import Testing
@testable import MusterOpenAI

@Suite("The SSE parser and stream decoder handle any chunking of the bytes")
struct ChatCompletionStreamDecoderTests {
    @Test("Events split at every byte, with CRLF line ends and a multi-byte character, decode the same")
    func byteByByte() throws {
        let text = "data: {\"choices\":[{\"delta\":{\"content\":\"héllo 👋\"}}]}\r\n\r\n: a comment\r\nevent: x\r\ndata: [DONE]\r\n\r\n"
        var decoder = ChatCompletionStreamDecoder()
        var events: [ModelEvent] = []
        for byte in Array(text.utf8) { events += try decoder.consume([byte]) }
        events += try decoder.finish()
        #expect(events == [.textDelta("héllo 👋"), .endOfTurn(Usage())])
        #expect(decoder.isDone)
    }

    @Test("Several data lines of one event are joined with a newline")
    func multiLineData() throws {
        var parser = ServerSentEventParser()
        #expect(try parser.consume(Array("data: first\ndata:second\n\ndata: tail".utf8)) == ["first\nsecond"])
        #expect(parser.finish() == "tail")
    }

    @Test("A tool call fragment without a function name is a malformed stream")
    func toolCallWithoutName() throws {
        var decoder = ChatCompletionStreamDecoder()
        _ = try decoder.consume(Array(SSE.toolCall(index: 0, id: "call_a", arguments: "{}").utf8))
        #expect(throws: OpenAIModelError.malformedStream("tool call at index 0 has no function name")) {
            try decoder.consume(Array(SSE.finish("tool_calls").utf8))
        }
    }

    @Test("An endless line fails at once, after the limit and not after the whole body, with a clear error")
    func endlessLine() throws {
        var decoder = ChatCompletionStreamDecoder(sizeLimit: 1 << 20)
        let piece = [UInt8](repeating: UInt8(ascii: "a"), count: 64 << 10)
        var fed = 0
        do throws(OpenAIModelError) {
            // The line never ends: the decoder must give up as soon as it passes the limit.
            for _ in 0..<1_000 {
                _ = try decoder.consume(piece)
                fed += piece.count
            }
            Issue.record("64 MB without a line break were accepted")
        } catch {
            #expect(error == .malformedStream("a line is longer than 1 MB without a line break (a chat completion chunk is a few kilobytes)."))
            #expect(fed <= 1 << 20)
        }
    }

    @Test("An event of many data lines fails once its data passes the limit")
    func endlessEvent() throws {
        var parser = ServerSentEventParser(limit: 1 << 20)
        let line = Array(("data: " + String(repeating: "b", count: 1_000) + "\n").utf8)
        var lines = 0
        do throws(OpenAIModelError) {
            for _ in 0..<100_000 {
                _ = try parser.consume(line)
                lines += 1
            }
            Issue.record("100 MB in one event were accepted")
        } catch {
            #expect(error == .malformedStream("an event is larger than 1 MB (a chat completion chunk is a few kilobytes)."))
            #expect(lines < 1_100)
        }
        #expect(ServerSentEventParser.sizeLimit == 16 << 20)
    }

    @Test("An empty body is reported as a stream without chunks")
    func emptyBody() {
        var decoder = ChatCompletionStreamDecoder()
        #expect(throws: OpenAIModelError.self) { try decoder.finish() }
    }
}
