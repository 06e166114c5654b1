import MusterCore
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
    func multiLineData() {
        var parser = ServerSentEventParser()
        #expect(parser.consume(Array("data: first\ndata:second\n\ndata: tail".utf8)) == ["first\nsecond"])
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

    @Test("An empty body is reported as a stream without chunks")
    func emptyBody() {
        var decoder = ChatCompletionStreamDecoder()
        #expect(throws: OpenAIModelError.self) { try decoder.finish() }
    }
}
