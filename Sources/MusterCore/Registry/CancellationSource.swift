/// Who or what cancelled a task.
public enum CancellationSource: Sendable, Equatable, CustomStringConvertible {
    /// A person, through `/tasks stop`, `/cancel`, or the UI.
    case user
    /// The agent that launched it, through its `cancel_task` tool.
    case spawner
    /// The agent that launched it ended, so everything it launched was cancelled too.
    case parentEnded(TaskID)
    /// The foreground turn that was waiting on it was interrupted.
    case turnInterrupted
    /// Muster was shutting down.
    case shutdown

    public var description: String {
        switch self {
        case .user: "by the user"
        case .spawner: "by the agent that launched it"
        case .parentEnded(let id): "because its parent \(id) ended"
        case .turnInterrupted: "because the turn was interrupted"
        case .shutdown: "at shutdown"
        }
    }

    /// A short machine-readable tag (for JSON).
    public var tag: String {
        switch self {
        case .user: "user"
        case .spawner: "spawner"
        case .parentEnded: "parent_ended"
        case .turnInterrupted: "turn_interrupted"
        case .shutdown: "shutdown"
        }
    }
}
