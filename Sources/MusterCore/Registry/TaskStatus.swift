/// What a task is: an agent now; shell commands later.
public enum TaskKind: String, Sendable, Codable, CaseIterable {
    case agent
    case shell
}

/// Whether the task's launcher waits for it (foreground) or gets its result later (background).
public enum TaskMode: String, Sendable, Codable, CaseIterable {
    case foreground
    case background
}

/// Who launched a task: the top-level conversation, or another task (an agent).
public enum Spawner: Hashable, Sendable, CustomStringConvertible {
    case topLevel
    case task(TaskID)

    public var description: String {
        switch self {
        case .topLevel: "top level"
        case .task(let id): id.description
        }
    }

    /// The launching task's id, nil at top level.
    public var taskID: TaskID? {
        if case .task(let id) = self { id } else { nil }
    }
}

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

/// A task's lifecycle: pending → running → exactly one terminal state.
public enum TaskStatus: Sendable, Equatable {
    case pending
    /// Running at model step `step`; `activity` says what it does now (e.g. the running tool).
    case running(step: Int, activity: String?)
    case completed(summary: String)
    case failed(error: String)
    case cancelled(by: CancellationSource)

    /// Completed, failed or cancelled: the status never changes again.
    public var isTerminal: Bool {
        switch self {
        case .pending, .running: false
        case .completed, .failed, .cancelled: true
        }
    }

    /// The word people see: `pending`, `running`, `completed`, `failed`, `cancelled`.
    public var word: String {
        switch self {
        case .pending: "pending"
        case .running: "running"
        case .completed: "completed"
        case .failed: "failed"
        case .cancelled: "cancelled"
        }
    }

    /// Whether the status may change to `next`, read from the registry's one table
    /// (`TaskPhase.transitions`): pending → running or terminal; running → running (a new step or
    /// activity) or terminal; a terminal state never changes.
    public func canTransition(to next: TaskStatus) -> Bool {
        TaskPhase.canMove(from: phaseName, to: next.phaseName)
    }

    /// The phase this status is seen in (a stopping task shows pending or running).
    private var phaseName: TaskPhase.Name {
        switch self {
        case .pending: .pending
        case .running: .running
        case .completed, .failed, .cancelled: .ended
        }
    }
}
