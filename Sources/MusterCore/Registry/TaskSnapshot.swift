import Foundation

/// A copy of one registry entry at one moment, safe to hand to any front end.
///
/// A snapshot is a few words: its id, its age at that moment, its place in the queue, and a
/// reference to the entry's `Record`, an immutable box of everything else that the entry
/// replaces whole when any of it changes (copy-on-write by replacement), so every snapshot taken
/// between two changes shares one box. The properties read through it.
public struct TaskSnapshot: Sendable, Equatable, Identifiable {
    /// Everything a snapshot shows that is not of the moment (see `Record`).
    struct Fields: Sendable {
        /// Name, kind, description, spawner, mode, step limit and budget.
        var request: TaskRegistry.Request
        /// Status, stop and end. A queued status's position is the snapshot's (`queuePosition`).
        var progress: Progress
        var startedAt: Duration
        var startDate: Date
        var trail: [String]
        var usage = TaskUsage()
        var childrenUsage = TaskUsage()
        var lastEventAt: Duration?
        var step = 0
        /// nil while it waits in the queue: then all of its age.
        var queuedFor: Duration? = .zero
    }

    /// Where the task is: a registry entry's phase (the one place its status, its stop and its
    /// end are kept, so they cannot disagree), or, in a snapshot read from a log or built whole,
    /// the three as given.
    enum Progress: Sendable {
        case phase(TaskPhase)
        case given(TaskStatus, cancelRequested: CancellationSource?, endedAt: Duration?)

        var status: TaskStatus {
            switch self {
            case .phase(let phase): phase.status
            case .given(let status, _, _): status
            }
        }

        var cancelRequested: CancellationSource? {
            switch self {
            case .phase(let phase): phase.cancelRequested
            case .given(_, let source, _): source
            }
        }

        var endedAt: Duration? {
            switch self {
            case .phase(let phase): phase.endedAt
            case .given(_, _, let endedAt): endedAt
            }
        }

        var isQueued: Bool {
            switch self {
            case .phase(let phase): phase == .queued
            case .given(.queued, _, _): true
            case .given: false
            }
        }
    }

    /// The shared, immutable part of snapshots: a new one replaces it on every change.
    final class Record: Sendable {
        let fields: Fields
        init(_ fields: Fields) { self.fields = fields }
    }

    public let id: TaskID
    /// Running time so far, or total running time once ended.
    public let age: Duration
    /// Its place in the queue (1 starts next) while its status is queued.
    private var queuePosition: Int
    private(set) var record: Record

    /// A snapshot of an entry's `record` at `age` (the registry's own way to make one).
    init(id: TaskID, record: Record, age: Duration, queuePosition: Int = 0) {
        self.id = id
        self.record = record
        self.age = age
        self.queuePosition = queuePosition
    }

    init(
        id: TaskID, name: String, kind: TaskKind, description: String, spawner: Spawner, mode: TaskMode,
        status: TaskStatus, cancelRequested: CancellationSource?, startedAt: Duration, endedAt: Duration?,
        startDate: Date, age: Duration, trail: [String], usage: TaskUsage = TaskUsage(), childrenUsage: TaskUsage = TaskUsage(),
        lastEventAt: Duration? = nil, step: Int = 0, stepLimit: Int? = nil, budget: TaskBudget = TaskBudget(),
        queuedFor: Duration = .zero
    ) {
        let request = TaskRegistry.Request(
            name: name, kind: kind, description: description, spawner: spawner, mode: mode, stepLimit: stepLimit, budget: budget
        )
        var position = 0
        if case .queued(let place) = status { position = place }
        self.init(id: id, record: Record(Fields(
            request: request, progress: .given(status, cancelRequested: cancelRequested, endedAt: endedAt), startedAt: startedAt,
            startDate: startDate, trail: trail, usage: usage, childrenUsage: childrenUsage, lastEventAt: lastEventAt,
            step: step, queuedFor: queuedFor
        )), age: age, queuePosition: position)
    }

    /// E.g. the sub-agent type (`explore`).
    public var name: String { record.fields.request.name }
    public var kind: TaskKind { record.fields.request.kind }
    /// The prompt or description it was started with.
    public var description: String { record.fields.request.description }
    public var spawner: Spawner { record.fields.request.spawner }
    public var mode: TaskMode { record.fields.request.mode }
    public var status: TaskStatus {
        let progress = record.fields.progress
        return progress.isQueued ? .queued(position: queuePosition) : progress.status
    }
    /// Set once a cancel was requested and until the task reaches a terminal state.
    public var cancelRequested: CancellationSource? { record.fields.progress.cancelRequested }
    /// Start and end on the registry's timeline.
    public var startedAt: Duration { record.fields.startedAt }
    public var endedAt: Duration? { record.fields.progress.endedAt }
    /// Wall-clock start, for logs.
    public var startDate: Date { record.fields.startDate }
    /// The most recent progress lines (oldest first).
    public var trail: [String] { record.fields.trail }
    /// What the task itself has cost (its own model and tool calls).
    public internal(set) var usage: TaskUsage {
        get { record.fields.usage }
        set { change { $0.usage = newValue } }
    }
    /// What everything it launched has cost, at any depth.
    public internal(set) var childrenUsage: TaskUsage {
        get { record.fields.childrenUsage }
        set { change { $0.childrenUsage = newValue } }
    }

    /// When it last reported anything, on the registry's timeline (its start until then); nil
    /// where unknown (a snapshot read from a log), which never counts as a stall.
    public internal(set) var lastEventAt: Duration? {
        get { record.fields.lastEventAt }
        set { change { $0.lastEventAt = newValue } }
    }

    /// The latest model step its agent reached (kept once it ended), and the most it may take
    /// (nil where there is none, or unknown: a snapshot read from a log).
    public internal(set) var step: Int {
        get { record.fields.step }
        set { change { $0.step = newValue } }
    }
    public internal(set) var stepLimit: Int? {
        get { record.fields.request.stepLimit }
        set { change { $0.request.stepLimit = newValue } }
    }
    /// What its agent may spend (unlimited where none was set, and in a snapshot read from a log).
    public internal(set) var budget: TaskBudget {
        get { record.fields.request.budget }
        set { change { $0.request.budget = newValue } }
    }
    /// How long it has waited in the queue past the cap (all of its age while queued; zero if
    /// it never queued, and in a snapshot read from a log).
    public internal(set) var queuedFor: Duration {
        get { record.fields.queuedFor ?? age }
        set { change { $0.queuedFor = newValue } }
    }

    /// This snapshot with its own copy of the record, changed.
    private mutating func change(_ edit: (inout Fields) -> Void) {
        var fields = record.fields
        edit(&fields)
        record = Record(fields)
    }

    /// Every property equal (two snapshots of one record compare only what is of the moment).
    public static func == (lhs: TaskSnapshot, rhs: TaskSnapshot) -> Bool {
        guard lhs.id == rhs.id, lhs.age == rhs.age, lhs.status == rhs.status, lhs.queuedFor == rhs.queuedFor else { return false }
        if lhs.record === rhs.record { return true }
        let left = lhs.record.fields, right = rhs.record.fields
        return left.request.name == right.request.name && left.request.kind == right.request.kind
            && left.request.description == right.request.description && left.request.spawner == right.request.spawner
            && left.request.mode == right.request.mode && left.request.stepLimit == right.request.stepLimit
            && left.request.budget == right.request.budget && lhs.cancelRequested == rhs.cancelRequested
            && left.startedAt == right.startedAt && lhs.endedAt == rhs.endedAt && left.startDate == right.startDate
            && left.trail == right.trail && left.usage == right.usage && left.childrenUsage == right.childrenUsage
            && left.lastEventAt == right.lastEventAt && left.step == right.step
    }

    /// The same queued task at another place in the queue (a front end that keeps the places of
    /// the tasks it has seen: the registry publishes only the one that leaves the queue).
    public func queued(at position: Int) -> TaskSnapshot {
        guard isQueued else { return self }
        var moved = self
        moved.queuePosition = position
        return moved
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
