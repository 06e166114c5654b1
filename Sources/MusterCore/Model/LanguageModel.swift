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
    /// One call; a turn may contain several. Boxed: an event is then 17 bytes, not 49, in every
    /// buffer and frame that holds one (text deltas are most events).
    indirect case toolCall(ToolCall)
    /// The turn is over; no further events follow.
    case endOfTurn(Usage)
}

/// One message of an agent's conversation.
public enum ChatMessage: Sendable, Equatable {
    case system(String)
    case user(String)
    case assistant(text: String, toolCalls: [ToolCall])
    /// Boxed: a message is then 25 bytes, not 49, in every conversation (100,000 idle agents
    /// each hold a system and a user message).
    indirect case tool(callID: String, name: String, content: String)
}

/// Everything a model needs for one turn.
public struct ModelRequest: Sendable {
    /// The agent's name, e.g. `main` or `explore` (the scripted model picks scenarios by it).
    public var agentName: String
    public var messages: [ChatMessage]
    public var tools: [ToolSpec]

    public init(agentName: String, messages: [ChatMessage], tools: [ToolSpec]) {
        self.agentName = agentName
        self.messages = messages
        self.tools = tools
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
/// stops the stream at once, and no unowned task is left behind. One that plays a turn from
/// outside any task instead (the scripted model, from its timer) owns no task either: it feeds
/// a `ModelEventFeed` (`feedTurn`), which its reader's cancellation or an interruption ends.
public protocol LanguageModel: Sendable {
    /// Streams one turn for `request`.
    func streamTurn(_ request: ModelRequest) -> AsyncThrowingStream<ModelEvent, any Error>

    /// Plays one turn for `request` into a feed from outside any task, or nil (the default) when
    /// the model streams only in its consuming task. An agent reads a feed in its own task and
    /// a pause or a time budget interrupts it (`ModelEventFeed.interrupt`); otherwise each call
    /// runs in a child task that they cancel (three more 1 KB slabs of task memory for as long
    /// as the call waits).
    func feedTurn(_ request: ModelRequest) -> ModelEventFeed?

    /// One line for the first screen saying what this model is and what to type, or nil.
    var introduction: String? { get }
}

extension LanguageModel {
    /// Most models need no introduction.
    public var introduction: String? { nil }

    /// Most models stream in their consuming task only.
    public func feedTurn(_ request: ModelRequest) -> ModelEventFeed? { nil }
}
