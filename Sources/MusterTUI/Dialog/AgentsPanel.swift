import MusterCore
import MusterPresentation

/// The always-on roster of background work between the transcript and the status line: up to
/// five rows, then `+N more`; a finished row lingers a few seconds with its ending. A value
/// with no I/O, fed by the same events as the task board.
public struct AgentsPanel: Sendable {
    /// Rows shown before `+N more`.
    public static let maxRows = 5
    /// How long a finished row stays.
    public static let lingering: Duration = .seconds(8)
    /// Below this many screen rows the panel stays hidden (the transcript needs the room).
    public static let minimumScreenRows = 16

    /// Off by `/panel off` or `--no-agent-panel`.
    public var isEnabled: Bool
    /// Background tasks that ended while the panel knew them, and when.
    public private(set) var finished: [TaskID: ContinuousClock.Instant] = [:]

    /// A panel, on or off.
    public init(isEnabled: Bool = true) {
        self.isEnabled = isEnabled
    }

    /// Notes a task that changed at `now` (its end starts the lingering).
    public mutating func note(_ task: TaskSnapshot, at now: ContinuousClock.Instant) {
        guard task.mode == .background, task.isTerminal, finished[task.id] == nil else { return }
        finished[task.id] = now
    }

    /// Forgets rows whose lingering is over; true when one went.
    @discardableResult
    public mutating func expire(at now: ContinuousClock.Instant) -> Bool {
        let before = finished.count
        finished = finished.filter { $0.value.duration(to: now) < Self.lingering }
        return finished.count != before
    }

    /// True while a finished row is still shown (the screen must be redrawn when it goes).
    public var hasLingeringRows: Bool { !finished.isEmpty }

    /// The tasks to show at `now` — the smallest ids among those running and those that ended
    /// lately, so a row keeps its place when its agent ends — and how many more there are;
    /// empty when the panel is off or nothing runs or lingers.
    public func rows(board: TaskBoard, at now: ContinuousClock.Instant) -> (tasks: [TaskSnapshot], more: Int) {
        guard isEnabled else { return ([], 0) }
        let lingering = finished.filter { $0.value.duration(to: now) < Self.lingering }.map(\.key)
        let total = board.activeBackground.count + lingering.count
        guard total > 0 else { return ([], 0) }
        // The smallest ids, without sorting every running task (there may be thousands).
        var shown: [TaskID] = []
        for id in Array(board.activeBackground) + lingering {
            if shown.count < Self.maxRows {
                shown.append(id)
                shown.sort()
            } else if let last = shown.last, id < last {
                shown[shown.count - 1] = id
                shown.sort()
            }
        }
        let tasks = shown.compactMap { board.snapshot(of: $0) }
        return (tasks, total - tasks.count)
    }
}
