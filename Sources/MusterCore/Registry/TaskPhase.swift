/// Where a registry entry is in its life: every state is named here, `stopping` included.
///
/// `TaskStatus` and `TaskSnapshot.cancelRequested` are views of it, so they cannot disagree.
/// Later states (queued, paused, needs approval) are new cases plus new rows of `transitions`.
enum TaskPhase: Sendable, Equatable {
    /// Registered; its body has not begun.
    case pending
    /// Its body runs, at model step `step`, doing `activity`.
    case running(step: Int, activity: String?)
    /// A stop was requested and the body has not returned yet; `step` is nil if it never ran.
    case stopping(CancellationSource, step: Int?, activity: String?)
    /// The one terminal state: `status` is completed, failed or cancelled.
    case ended(TaskStatus, at: Duration)
    /// Paused by the person: its next model call waits (an in-flight one was cancelled), a
    /// tool call under way finishes. `step` is nil if its body has not begun. Holds no cap slot.
    case paused(step: Int?, activity: String?)

    /// Past the background cap, waiting in the queue for a slot; its body has not been created.
    case queued

    /// The phase without its data: what the transition table is written in.
    enum Name: String, Sendable, CaseIterable {
        case pending, running, stopping, ended, paused, queued

        fileprivate var index: Int {
            switch self {
            case .pending: 0
            case .running: 1
            case .stopping: 2
            case .ended: 3
            case .paused: 4
            case .queued: 5
            }
        }
    }

    var name: Name {
        switch self {
        case .pending: .pending
        case .running: .running
        case .stopping: .stopping
        case .ended: .ended
        case .paused: .paused
        case .queued: .queued
        }
    }

    /// The one table of legal transitions. A running, paused or stopping task may move to itself
    /// (a new step or activity); only a task paused before its body began returns to pending (its
    /// resume); an ended task never changes.
    static let transitions: [Name: Set<Name>] = [
        .pending: [.running, .stopping, .ended, .paused],
        .running: [.running, .stopping, .ended, .paused],
        .stopping: [.stopping, .ended],
        .ended: [],
        .paused: [.paused, .running, .pending, .stopping, .ended],
        // A queued task starts (pending) when a slot frees, or ends (cancelled) without ever starting.
        .queued: [.pending, .ended],
    ]

    static func canMove(from: Name, to: Name) -> Bool {
        legalMoves & bit(from, to) != 0
    }

    /// `transitions` as one bit per (from, to) pair, so the check on every move is a mask test.
    private static let legalMoves: UInt64 = transitions.reduce(0) { mask, row in
        row.value.reduce(mask) { $0 | bit(row.key, $1) }
    }

    private static func bit(_ from: Name, _ to: Name) -> UInt64 {
        1 << (UInt64(from.index) * 8 + UInt64(to.index))
    }

    /// Not ended yet: the body may still run.
    var isActive: Bool { name != .ended }

    /// The public status: a stopping task still shows where it was (pending or running).
    var status: TaskStatus {
        switch self {
        case .pending: .pending
        case .running(let step, let activity): .running(step: step, activity: activity)
        case .stopping(_, let step?, let activity): .running(step: step, activity: activity)
        case .stopping(_, nil, _): .pending
        case .ended(let status, _): status
        case .paused(let step, let activity): .paused(step: step ?? 0, activity: activity)
        case .queued: .queued(position: 0)
        }
    }

    /// Who asked it to stop: set while stopping and kept once it ended cancelled.
    var cancelRequested: CancellationSource? {
        switch self {
        case .stopping(let source, _, _): source
        case .ended(.cancelled(let source), _): source
        case .pending, .running, .ended, .paused, .queued: nil
        }
    }

    var endedAt: Duration? {
        if case .ended(_, let at) = self { at } else { nil }
    }
}
