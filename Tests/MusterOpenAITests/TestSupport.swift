import Clocks
import MusterCore
import Testing
@testable import MusterOpenAI

/// The key every test uses; no error text may ever contain it.
let testKey = "sk-test-SECRET-4242"

/// A model pointed at `server`, shut down after `body` whatever happens.
func withModel<Result>(
    _ server: FakeOpenAIServer,
    clock: any Clock<Duration> = ImmediateClock(),
    configure: (inout OpenAIConfiguration) -> Void = { _ in },
    _ body: (OpenAIModel) async throws -> Result
) async throws -> Result {
    var configuration = OpenAIConfiguration(baseURL: server.baseURL, apiKey: APIKey(testKey), model: "test-model")
    configure(&configuration)
    let model = OpenAIModel(configuration: configuration, clock: clock)
    do {
        let result = try await body(model)
        await model.shutdown()
        return result
    } catch {
        await model.shutdown()
        throw error
    }
}

/// A request with a system prompt and one user message.
func turnRequest(_ prompt: String, tools: [ToolSpec] = []) -> ModelRequest {
    ModelRequest(agentName: "main", messages: [.system("You are terse."), .user(prompt)], tools: tools)
}

/// Everything one turn produced: its events, and the error that ended it, if any.
struct TurnOutcome {
    var events: [ModelEvent] = []
    var error: (any Error)?

    var modelError: OpenAIModelError? { error as? OpenAIModelError }
}

/// Consumes a whole turn.
func runTurn(_ stream: AsyncThrowingStream<ModelEvent, any Error>) async -> TurnOutcome {
    var outcome = TurnOutcome()
    do {
        for try await event in stream { outcome.events.append(event) }
    } catch {
        outcome.error = error
    }
    return outcome
}

/// Checks that no text form of `error` contains the API key.
func expectKeyNeverAppears(in error: (any Error)?, sourceLocation: SourceLocation = #_sourceLocation) {
    guard let error else { return }
    var dumped = ""
    dump(error, to: &dumped)
    for text in ["\(error)", String(reflecting: error), error.localizedDescription, dumped] {
        #expect(!text.contains(testKey), "the key leaked into: \(text)", sourceLocation: sourceLocation)
        #expect(!text.contains(testKey.prefix(APIKey.minimumRedactedPrefix)), "part of the key leaked into: \(text)", sourceLocation: sourceLocation)
    }
}

extension FakeOpenAIServer.Request {
    /// The content of the last message, which is the user's prompt in these tests.
    var lastMessageContent: String? { json?["messages"]?.arrayValue?.last?["content"]?.stringValue }
}
