/// One tool call the model asked for in a turn.
public struct ToolCall: Sendable, Equatable, Codable {
    /// Unique within the session (e.g. `call_12`).
    public let id: String
    public let name: String
    public let arguments: JSONValue

    public init(id: String, name: String, arguments: JSONValue) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

/// Token counts for one model turn.
public struct Usage: Sendable, Equatable, Codable {
    public var inputTokens: Int
    public var outputTokens: Int

    public init(inputTokens: Int = 0, outputTokens: Int = 0) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
    }

    public static func + (lhs: Usage, rhs: Usage) -> Usage {
        Usage(inputTokens: lhs.inputTokens + rhs.inputTokens, outputTokens: lhs.outputTokens + rhs.outputTokens)
    }
}

/// What a model streams during one turn.
public enum ModelEvent: Sendable, Equatable {
    case textDelta(String)
    /// One call; a turn may contain several.
    case toolCall(ToolCall)
    /// The turn is over; no further events follow.
    case endOfTurn(Usage)
}

/// One message of an agent's conversation.
public enum ChatMessage: Sendable, Equatable {
    case system(String)
    case user(String)
    case assistant(text: String, toolCalls: [ToolCall])
    case tool(callID: String, name: String, content: String)
}

/// Everything a model needs for one turn.
public struct ModelRequest: Sendable {
    /// The agent's name, e.g. `main` or `explore` (the scripted model picks scenarios by it).
    public var agentName: String
    public var messages: [ChatMessage]
    public var tools: [ToolSpec]
    /// Ends this call from outside when it is interrupted (a pause, a time budget): given only to
    /// a model that `honoursInterruption`, nil otherwise.
    public var interruption: ModelInterruption?

    public init(agentName: String, messages: [ChatMessage], tools: [ToolSpec], interruption: ModelInterruption? = nil) {
        self.agentName = agentName
        self.messages = messages
        self.tools = tools
        self.interruption = interruption
    }

    /// The newest user message, if any.
    public var latestUserMessage: String? {
        for message in messages.reversed() { if case .user(let text) = message { return text } }
        return nil
    }

    /// The first user message: the agent's prompt.
    public var prompt: String? {
        for message in messages { if case .user(let text) = message { return text } }
        return nil
    }

    /// How many assistant messages follow the newest user message: which turn of its answer to
    /// that message the model is asked for (0 for the first; tool results do not count).
    public var turnIndex: Int {
        var count = 0
        for message in messages.reversed() {
            switch message {
            case .user: return count
            case .assistant: count += 1
            case .system, .tool: break
            }
        }
        return count
    }
}

/// A language model that streams a turn as events.
///
/// Implementations build the stream with `AsyncThrowingStream(unfolding:)` (or another
/// pull-based sequence) so that all work runs inside the consuming task: cancelling that task
/// stops the stream at once, and no unowned task is left behind. One that feeds a buffered
/// stream from outside instead (the scripted model, from its timer) owns no task either and
/// ends the stream with `CancellationError` when it terminates early.
public protocol LanguageModel: Sendable {
    /// Streams one turn for `request`.
    func streamTurn(_ request: ModelRequest) -> AsyncThrowingStream<ModelEvent, any Error>

    /// One line for the first screen saying what this model is and what to type, or nil.
    var introduction: String? { get }

    /// True when the model ends a turn's stream promptly, throwing `CancellationError`, once the
    /// request's `interruption` is interrupted (as it does when its consuming task is cancelled).
    /// The agent then makes the call in its own task, and a pause or a time budget ends it
    /// through the handle; otherwise each call runs in a child task that they cancel (three more
    /// 1 KB slabs of task memory for as long as the call waits).
    var honoursInterruption: Bool { get }
}

extension LanguageModel {
    /// Most models need no introduction.
    public var introduction: String? { nil }

    /// Most models are ended by cancelling their consuming task only.
    public var honoursInterruption: Bool { false }
}

/// Ends one model call from outside its task: a pause or a time budget interrupts it, and a
/// model that `honoursInterruption` ends the call's stream (with `CancellationError`) from the
/// handler it set. One per call; interrupted at most once.
public final class ModelInterruption: Sendable {
    private struct State {
        var interrupted = false
        var handler: (@Sendable () -> Void)?
    }

    private let state = Locked(State())

    public init() {}

    /// Whether the call has been interrupted.
    public var isInterrupted: Bool { state.withLock { $0.interrupted } }

    /// Has `handler` end the call when it is interrupted: at once (on this thread) when it already
    /// is, else on the interrupting thread. A later handler replaces an earlier one.
    public func onInterrupt(_ handler: @escaping @Sendable () -> Void) {
        let now = state.withLock { state -> Bool in
            if state.interrupted { return true }
            state.handler = handler
            return false
        }
        if now { handler() }
    }

    /// Interrupts the call: its handler runs once, outside the lock.
    public func interrupt() {
        let handler = state.withLock { state -> (@Sendable () -> Void)? in
            guard !state.interrupted else { return nil }
            state.interrupted = true
            defer { state.handler = nil }
            return state.handler
        }
        handler?()
    }
}
