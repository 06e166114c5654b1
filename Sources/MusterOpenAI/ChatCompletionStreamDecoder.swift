import Foundation
import MusterCore

/// Turns the bytes of a streamed chat completion into model events: a pure state machine, no I/O.
///
/// Text deltas come out as soon as their chunk is complete. Tool calls come out once the server says the
/// choice is finished (`finish_reason`) or the stream is done (`[DONE]`), and `endOfTurn` closes the turn
/// at `[DONE]`. A stream that ends before `[DONE]` is still a whole turn if a `finish_reason` arrived
/// (some servers omit `[DONE]`); otherwise it is truncated.
struct ChatCompletionStreamDecoder {
    private enum State {
        case streaming
        /// A `finish_reason` arrived; a usage chunk and `[DONE]` may still follow.
        case choiceFinished
        case done
    }

    private var state = State.streaming
    private var events = ServerSentEventParser()
    private var toolCalls = ToolCallAssembler()
    private var usage = Usage()
    private var sawAnyChunk = false
    /// Redacted from excerpts before they are cut.
    private let apiKey: APIKey?

    init(apiKey: APIKey? = nil, sizeLimit: Int = ServerSentEventParser.sizeLimit) {
        self.apiKey = apiKey
        self.events = ServerSentEventParser(limit: sizeLimit)
    }

    private static let jsonDecoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    /// True once `[DONE]` has been seen: the turn is complete and the rest of the body does not matter.
    var isDone: Bool { if case .done = state { true } else { false } }

    /// Feeds body bytes and returns the events they complete.
    mutating func consume(_ bytes: some Sequence<UInt8>) throws(OpenAIModelError) -> [ModelEvent] {
        var output: [ModelEvent] = []
        for data in try events.consume(bytes) where !isDone {
            output += try handle(data)
        }
        return output
    }

    /// Called when the body ends: the closing events, or an error if the turn was cut short.
    mutating func finish() throws(OpenAIModelError) -> [ModelEvent] {
        var output: [ModelEvent] = []
        if !isDone, let data = events.finish() { output += try handle(data) }
        switch state {
        case .done:
            return output
        case .choiceFinished:
            return output + (try endTurn())
        case .streaming:
            throw .truncatedStream(
                sawAnyChunk
                    ? "the connection closed before [DONE] or a finish_reason."
                    : "the response had no chat completion chunks (is the base URL an OpenAI-compatible API?)."
            )
        }
    }

    private mutating func handle(_ data: String) throws(OpenAIModelError) -> [ModelEvent] {
        if data.trimmingCharacters(in: .whitespaces) == "[DONE]" { return try endTurn() }
        let chunk: ChatCompletionChunk
        do {
            chunk = try Self.jsonDecoder.decode(ChatCompletionChunk.self, from: Data(data.utf8))
        } catch {
            throw .malformedStream("a chunk is not valid JSON: \(excerpt(data))")
        }
        sawAnyChunk = true
        if let error = chunk.error {
            throw .streamError(error.message ?? excerpt(data))
        }
        if let counts = chunk.usage {
            usage = Usage(inputTokens: counts.promptTokens ?? 0, outputTokens: counts.completionTokens ?? 0)
        }
        var output: [ModelEvent] = []
        // Only the first choice matters: we never ask for n > 1.
        for choice in chunk.choices ?? [] where (choice.index ?? 0) == 0 {
            if let text = choice.delta?.content, !text.isEmpty { output.append(.textDelta(text)) }
            if let fragments = choice.delta?.toolCalls { toolCalls.add(fragments) }
            if choice.finishReason != nil, case .streaming = state {
                state = .choiceFinished
                output += try takeToolCalls()
            }
        }
        return output
    }

    private mutating func endTurn() throws(OpenAIModelError) -> [ModelEvent] {
        let calls = try takeToolCalls()
        state = .done
        return calls + [.endOfTurn(usage)]
    }

    private mutating func takeToolCalls() throws(OpenAIModelError) -> [ModelEvent] {
        defer { toolCalls = ToolCallAssembler() }
        return try toolCalls.assembledCalls().map(ModelEvent.toolCall)
    }

    /// At most 200 characters of `text`, the key redacted first: a cut before the redaction
    /// could leave most of a key that straddles it.
    private func excerpt(_ text: String) -> String {
        let clean = apiKey?.redacting(text) ?? text
        return clean.count > 200 ? String(clean.prefix(200)) + "..." : clean
    }
}
