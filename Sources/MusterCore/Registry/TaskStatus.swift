

/// A task's lifecycle: pending → running → exactly one terminal state.
public enum TaskStatus: Sendable, Equatable {
    case pending
    /// Waiting past the background cap; `position` 1 starts next.
    case queued(position: Int)
    /// Running at model step `step`; `activity` says what it does now (e.g. the running tool).
    case running(step: Int, activity: String?)
    case completed(summary: String)
    case failed(error: String)
    case cancelled(by: CancellationSource)
    /// Paused by the person at model step `step` (0: before its first); `activity` is what it
    /// was doing. Its next model call waits for a resume; a tool call under way finishes.
    case paused(step: Int, activity: String?)
    /// It used up its budget (`reason` says which) and ended with `report`, its last answer.
    case budgetExhausted(reason: String, report: String)

    /// Completed, failed or cancelled: the status never changes again.
    public var isTerminal: Bool {
        switch self {
        case .pending, .queued, .running, .paused: false
        case .completed, .failed, .cancelled, .budgetExhausted: true
        }
    }

    /// The word people see: `pending`, `running`, `completed`, `failed`, `cancelled`, `paused`.
    public var word: String {
        switch self {
        case .pending: "pending"
        case .queued: "queued"
        case .running: "running"
        case .completed: "completed"
        case .failed: "failed"
        case .cancelled: "cancelled"
        case .paused: "paused"
        case .budgetExhausted: "budget exhausted"
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
        case .queued: .queued
        case .running: .running
        case .completed, .failed, .cancelled, .budgetExhausted: .ended
        case .paused: .paused
        }
    }
}
