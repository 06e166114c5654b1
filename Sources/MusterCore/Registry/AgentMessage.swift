/// Who sent a message to a running agent.
public enum MessageSender: Sendable, Equatable {
    /// The person (`/tasks send <id> <text>`).
    case person
    /// An agent (`send_message`): the main agent (`.topLevel`) or a task.
    case agent(Spawner)
}

/// A message in a running agent's inbox: read before the agent's next model call, as a user message.
public struct AgentMessage: Sendable, Equatable {
    /// Numbered per session (1, 2, ...), in the order they were sent.
    public let number: Int
    /// The agent it is for.
    public let taskID: TaskID
    /// That agent's name.
    public let taskName: String
    public let sender: MessageSender
    public let text: String

    public init(number: Int, taskID: TaskID, taskName: String, sender: MessageSender, text: String) {
        self.number = number
        self.taskID = taskID
        self.taskName = taskName
        self.sender = sender
        self.text = text
    }

    /// How the agent's conversation receives it.
    public var conversationText: String {
        let from: String = switch sender {
        case .person: "the person"
        case .agent(.topLevel): "the main agent"
        case .agent(.task(let id)): "task \(id)"
        }
        return "[Message from \(from) while you work]\n\(text)"
    }
}

/// What happened to a message: published on the bus (`SessionEvent.task(.message(...))`) and
/// recorded in the log as `message_queued`, `message_read` or `message_dropped`.
public struct AgentMessageEvent: Sendable, Equatable {
    public enum Stage: Sendable, Equatable {
        /// In the inbox, behind `ahead` unread messages.
        case queued(ahead: Int)
        /// The agent took it into its conversation (before a model call).
        case read
        /// The agent ended before reading it; `status` is the word it ended with.
        case dropped(status: String)
    }

    public let message: AgentMessage
    public let stage: Stage

    public init(_ message: AgentMessage, _ stage: Stage) {
        self.message = message
        self.stage = stage
    }
}
