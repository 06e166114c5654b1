import Foundation

/// A copy of one registry entry at one moment, safe to hand to any front end.
public struct TaskSnapshot: Sendable, Equatable, Identifiable {
    public let id: TaskID
    /// E.g. the sub-agent type (`explore`).
    public let name: String
    public let kind: TaskKind
    /// The prompt or description it was started with.
    public let description: String
    public let spawner: Spawner
    public let mode: TaskMode
    public let status: TaskStatus
    /// Set once a cancel was requested and until the task reaches a terminal state.
    public let cancelRequested: CancellationSource?
    /// Start and end on the registry's timeline.
    public let startedAt: Duration
    public let endedAt: Duration?
    /// Wall-clock start, for logs.
    public let startDate: Date
    /// Running time so far, or total running time once ended.
    public let age: Duration
    /// The most recent progress lines (oldest first).
    public let trail: [String]
    /// What the task itself has cost (its own model and tool calls).
    public internal(set) var usage = TaskUsage()
    /// What everything it launched has cost, at any depth.
    public internal(set) var childrenUsage = TaskUsage()

    /// When it last reported anything, on the registry's timeline (its start until then); nil
    /// where unknown (a snapshot read from a log), which never counts as a stall.
    public internal(set) var lastEventAt: Duration?

    /// The latest model step its agent reached (kept once it ended), and the most it may take
    /// (nil where there is none, or unknown: a snapshot read from a log).
    public internal(set) var step = 0
    public internal(set) var stepLimit: Int?
    /// What its agent may spend (unlimited where none was set, and in a snapshot read from a log).
    public internal(set) var budget = TaskBudget()
    /// How long it has waited in the queue past the cap (all of its age while queued; zero if
    /// it never queued, and in a snapshot read from a log).
    public internal(set) var queuedFor = Duration.zero

    /// The same queued task at another place in the queue (a front end that keeps the places of
    /// the tasks it has seen: the registry publishes only the one that leaves the queue).
    public func queued(at position: Int) -> TaskSnapshot {
        guard isQueued else { return self }
        return TaskSnapshot(
            id: id, name: name, kind: kind, description: description, spawner: spawner, mode: mode,
            status: .queued(position: position), cancelRequested: cancelRequested, startedAt: startedAt, endedAt: endedAt,
            startDate: startDate, age: age, trail: trail, usage: usage, childrenUsage: childrenUsage, lastEventAt: lastEventAt,
            step: step, stepLimit: stepLimit, budget: budget, queuedFor: queuedFor
        )
    }

    /// Its age less its time in the queue: what its time budget (`max_seconds`) counts.
    public var runningTime: Duration { age - queuedFor }

    /// How long a running task may go without an event before it counts as stalled.
    public static let stallAfter = Duration.seconds(30)

    /// How long a running task had been silent when the snapshot was taken, once that is at
    /// least `stallAfter`; nil otherwise (and for pending or ended tasks).
    public var silence: Duration? {
        guard case .running = status, let lastEventAt else { return nil }
        let silent = startedAt + age - lastEventAt
        return silent >= Self.stallAfter ? silent : nil
    }

    /// Own + children: what the task has cost in all.
    public var totalUsage: TaskUsage { usage + childrenUsage }

    /// Running time as seen at `now` on the same timeline (live age for displays).
    public func age(at now: Duration) -> Duration {
        (endedAt ?? now) - startedAt
    }

    /// True while a background agent counts against the cap: running, pending or stopping (a
    /// stopped agent keeps its slot until its body has really returned); a paused one does not.
    public var countsAgainstCap: Bool {
        mode == .background && kind == .agent && !status.isTerminal && !isPaused && !isQueued
    }

    /// Waiting in the queue past the cap.
    public var isQueued: Bool {
        if case .queued = status { true } else { false }
    }

    /// Paused by the person (`/tasks pause`): no model call until resumed.
    public var isPaused: Bool {
        if case .paused = status, cancelRequested == nil { true } else { false }
    }

    /// A stop was requested and the body has not returned yet.
    public var isStopping: Bool {
        cancelRequested != nil && !status.isTerminal
    }

    /// Completed, failed or cancelled: the snapshot is the task's final state.
    public var isTerminal: Bool { status.isTerminal }

    /// `#3 explore`: how messages name a task.
    public var label: String { "\(id) \(name)" }

    /// The one word shown everywhere for the task's state: `stopping` while a stop is under way,
    /// else the status word (`pending`, `running`, `completed`, `failed`, `cancelled`).
    public var statusWord: String {
        if isStopping { return "stopping" }
        if case .queued(let position) = status, position > 0 { return "queued \(Self.ordinal(position))" }
        return status.word
    }

    /// `1st`, `2nd`, `3rd`, `4th`, `11th`, `22nd`.
    public static func ordinal(_ number: Int) -> String {
        let suffix = switch (number % 10, number % 100) {
        case (_, 11...13): "th"
        case (1, _): "st"
        case (2, _): "nd"
        case (3, _): "rd"
        default: "th"
        }
        return "\(number)\(suffix)"
    }
}
