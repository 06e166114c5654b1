import MusterCore

/// A language model for the log and headless tests: each turn's events come from a closure,
/// which may also wait (on a `TestGate`) or hang until cancelled.
public struct HeadlessTestModel: LanguageModel {
    public let respond: @Sendable (ModelRequest) async throws -> [ModelEvent]

    /// Makes a model whose turns are `respond`'s events.
    public init(respond: @escaping @Sendable (ModelRequest) async throws -> [ModelEvent]) {
        self.respond = respond
    }

    public func streamTurn(_ request: ModelRequest) -> AsyncThrowingStream<ModelEvent, any Error> {
        let cursor = TurnCursor()
        let respond = self.respond
        return AsyncThrowingStream {
            try await cursor.next { try await respond(request) }
        }
    }

    /// The main agent launches `subAgents` in the background, says "Launched.", and answers
    /// "Summary of N results." once results arrive; sub-agents run `subAgent`.
    public static func launcher(
        subAgents: [String],
        subAgent: @escaping @Sendable (ModelRequest) async throws -> [ModelEvent]
    ) -> HeadlessTestModel {
        HeadlessTestModel { request in
            guard request.agentName == "main" else { return try await subAgent(request) }
            let results = request.messages.filter {
                if case .user(let text) = $0 { text.hasPrefix("<\(BackgroundResultMessage.tag)") } else { false }
            }
            if case .user(let text)? = request.messages.last, text.hasPrefix("<\(BackgroundResultMessage.tag)") {
                return say("Summary of \(results.count) results.")
            }
            if case .tool? = request.messages.last { return say("Launched.") }
            let calls = subAgents.map { name in
                ModelEvent.toolCall(ToolCall(
                    id: "call_\(name)", name: "agent",
                    arguments: ["name": .string(name), "prompt": .string("look at \(name)"), "background": true]
                ))
            }
            return calls + [.endOfTurn(Usage(inputTokens: 10, outputTokens: 2))]
        }
    }

    /// A turn that says `text` in two deltas.
    public static func say(_ text: String) -> [ModelEvent] {
        let middle = text.index(text.startIndex, offsetBy: text.count / 2)
        return [.textDelta(String(text[..<middle])), .textDelta(String(text[middle...])), .endOfTurn(Usage(inputTokens: 10, outputTokens: 3))]
    }

    /// Suspends until the calling task is cancelled (a sub-agent that never finishes by itself).
    public static func hang() async throws -> [ModelEvent] {
        try await Task.sleep(for: .seconds(86_400))
        return []
    }
}

/// The events of one turn, computed on first pull and handed out one at a time.
private final class TurnCursor: Sendable {
    private let events = Locked<[ModelEvent]?>(nil)

    func next(load: () async throws -> [ModelEvent]) async throws -> ModelEvent? {
        if events.withLock({ $0 == nil }) {
            let loaded = try await load()
            events.withLock { $0 = loaded }
        }
        return events.withLock { events in
            guard var remaining = events, !remaining.isEmpty else { return nil }
            let first = remaining.removeFirst()
            events = remaining
            return first
        }
    }
}
