import Foundation
import MusterCore
import Synchronization

/// Counts things by key from any task (model calls per agent, tool completions, ...).
final class Tally: Sendable {
    private let counts = Locked<[String: Int]>([:])
    func add(_ key: String) { counts.withLock { $0[key, default: 0] += 1 } }
    func count(_ key: String) -> Int { counts.withLock { $0[key, default: 0] } }
}

/// A model whose turns are computed by a closure: (agent name, turn index, request) → events.
/// The turn index counts assistant messages after the latest user message.
struct ClosureModel: LanguageModel {
    typealias Respond = @Sendable (_ agent: String, _ turn: Int, _ request: ModelRequest) async throws -> [ModelEvent]
    let calls = Tally()
    let respond: Respond

    init(_ respond: @escaping Respond) { self.respond = respond }

    func streamTurn(_ request: ModelRequest) -> AsyncThrowingStream<ModelEvent, any Error> {
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
                pending = try await respond(request.agentName, Self.turnIndex(request.messages), request)
            }
            try Task.checkCancellation()
            guard var events = pending, !events.isEmpty else { return nil }
            let event = events.removeFirst()
            pending = events
            return event
        }

        static func turnIndex(_ messages: [ChatMessage]) -> Int {
            var count = 0
            for message in messages.reversed() {
                switch message {
                case .user: return count
                case .assistant: count += 1
                default: break
                }
            }
            return count
        }
    }
}

/// `emit {tag, count}`: reports `tag:0` … `tag:(count-1)` as progress, then returns the tag.
struct EmitTool: Tool {
    let spec = ToolSpec(name: "emit", description: "test", parameters: ["type": "object"])
    var isConcurrencySafe: Bool { true }

    func run(_ arguments: JSONValue, context: ToolContext) async throws -> ToolOutput {
        let tag = try arguments.requiredString("tag")
        let count = try arguments.optionalInt("count") ?? 0
        for index in 0..<count { context.progress.report("\(tag):\(index)") }
        return ToolOutput(tag)
    }
}

/// `block {}`: waits on a latch that never opens; counts calls that complete.
struct BlockTool: Tool {
    let spec = ToolSpec(name: "block", description: "test", parameters: ["type": "object"])
    let latch: Gate
    let completions: Tally
    var isConcurrencySafe: Bool { true }

    func run(_ arguments: JSONValue, context: ToolContext) async throws -> ToolOutput {
        context.progress.report("blocking")
        try await latch.wait()
        completions.add(context.agent.name)
        return ToolOutput("unblocked")
    }
}

/// `fail {}`: always throws a ToolError.
struct FailTool: Tool {
    let spec = ToolSpec(name: "fail", description: "test", parameters: ["type": "object"])
    var isConcurrencySafe: Bool { true }

    func run(_ arguments: JSONValue, context: ToolContext) async throws -> ToolOutput {
        throw ToolError("this tool always fails")
    }
}

extension ModelEvent {
    static func call(_ name: String, _ arguments: JSONValue = [:], id: String = UUID().uuidString) -> ModelEvent {
        .toolCall(ToolCall(id: id, name: name, arguments: arguments))
    }
    static let end = ModelEvent.endOfTurn(Usage(inputTokens: 1, outputTokens: 1))
}

/// Builds a runtime around a model and tools, on a temporary workspace.
func makeRuntime(
    model: any LanguageModel,
    tools: [any Tool],
    maxBackgroundAgents: Int = 10,
    stepLimit: Int = 20
) -> AgentRuntime {
    let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: maxBackgroundAgents))
    return AgentRuntime(
        registry: registry, model: model,
        tools: tools + [AgentTool(), ListTasksTool(), WaitTaskTool(), CancelTaskTool()],
        workspace: URL(fileURLWithPath: NSTemporaryDirectory()), stepLimit: stepLimit
    )
}

extension EventSubscription {
    /// Reads events until `predicate` holds for one of them; returns everything read.
    func collect(until predicate: (Event) -> Bool) async -> [Event] {
        var seen: [Event] = []
        for await event in self {
            seen.append(event)
            if predicate(event) { break }
        }
        return seen
    }
}
