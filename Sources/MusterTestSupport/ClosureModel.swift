import MusterCore

/// A model whose turns are computed by a closure: (agent name, turn index, request) → events.
/// The turn index counts assistant messages after the latest user message (`ModelRequest.turnIndex`).
public struct ClosureModel: LanguageModel {
    /// Computes one turn's events.
    public typealias Respond = @Sendable (_ agent: String, _ turn: Int, _ request: ModelRequest) async throws -> [ModelEvent]
    /// Turns asked for, by agent name.
    public let calls = Tally()
    let respond: Respond

    /// A model answering every turn with what `respond` returns.
    public init(_ respond: @escaping Respond) { self.respond = respond }

    public func streamTurn(_ request: ModelRequest) -> AsyncThrowingStream<ModelEvent, any Error> {
        calls.add(request.agentName)
        let source = EventSource(request: request, respond: respond)
        return AsyncThrowingStream(unfolding: { try await source.next() })
    }

    /// Produces a turn's events one at a time, in the consuming task.
    private actor EventSource {
        let request: ModelRequest
        let respond: Respond
        var pending: [ModelEvent]?

        init(request: ModelRequest, respond: @escaping Respond) {
            self.request = request
            self.respond = respond
        }

        func next() async throws -> ModelEvent? {
            if pending == nil {
                pending = try await respond(request.agentName, request.turnIndex, request)
            }
            try Task.checkCancellation()
            guard var events = pending, !events.isEmpty else { return nil }
            let event = events.removeFirst()
            pending = events
            return event
        }
    }
}
