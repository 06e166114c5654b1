import MusterCore
/// The active-agents pill: running background agents against the cap, finished results
/// waiting, and a spinner frame. A pure value fed by registry events.
///
/// Membership follows `TaskSnapshot.countsAgainstCap` on every event: a stopping agent still
/// holds its slot (its work may still run) and is named as stopping: `● 2/10 agents · 1 stopping`.
public struct PillState: Sendable, Equatable {
    /// Frames of the spinner shown while any agent runs (one per tick or transition).
    public static let spinnerFrames: [String] = ["◐", "◓", "◑", "◒"]

    /// The background cap in force.
    public let cap: Int
    /// Background agents counting against the cap now.
    public private(set) var running: Set<TaskID> = []
    /// Those of `running` whose stop was requested and whose body has not returned yet.
    public private(set) var stopping: Set<TaskID> = []
    /// Background agents waiting in the queue past the cap.
    public private(set) var queued: Set<TaskID> = []
    /// Finished background results waiting for the main agent.
    public private(set) var done = 0
    /// Index into `spinnerFrames`.
    public private(set) var spinnerFrame = 0

    /// A pill with nothing running.
    public init(cap: Int) {
        self.cap = cap
    }

    /// A pill that starts from the registry's current state (for a front end that starts late).
    public init(cap: Int, snapshots: [TaskSnapshot], pendingResults: Int) {
        self.cap = cap
        self.running = Set(snapshots.filter(\.countsAgainstCap).map(\.id))
        self.stopping = Set(snapshots.filter { $0.countsAgainstCap && $0.isStopping }.map(\.id))
        self.queued = Set(snapshots.filter(\.isQueued).map(\.id))
        self.done = max(0, pendingResults)
    }

    /// A pill that starts from the session's tasks at this moment.
    public init(_ overview: SessionOverview) {
        self.init(cap: overview.maxBackgroundAgents, snapshots: overview.tasks, pendingResults: overview.pendingResults)
    }

    /// Running background agents.
    public var runningCount: Int { running.count }

    /// True while any background agent runs (the spinner turns, ticks are needed).
    public var isActive: Bool { !running.isEmpty }

    /// True when the pill reads `0/M agents` and nothing waits: shown dimmed.
    public var isIdle: Bool { running.isEmpty && done == 0 }

    /// Applies one registry transition; returns true when the pill's text changed.
    @discardableResult
    public mutating func apply(_ event: TaskRegistryEvent) -> Bool {
        let before = self
        switch event {
        case .started(let snapshot), .updated(let snapshot):
            if snapshot.countsAgainstCap { running.insert(snapshot.id) } else { running.remove(snapshot.id) }
            if snapshot.countsAgainstCap && snapshot.isStopping { stopping.insert(snapshot.id) } else { stopping.remove(snapshot.id) }
            if snapshot.isQueued { queued.insert(snapshot.id) } else { queued.remove(snapshot.id) }
            // The spinner moves with the work, not only with the clock.
            if snapshot.countsAgainstCap, case .updated = event { advanceSpinner() }
        case .finished(let snapshot):
            running.remove(snapshot.id)
            stopping.remove(snapshot.id)
            queued.remove(snapshot.id)
        case .resultsWaiting(.topLevel, let count):
            done = max(0, count)
        case .resultsWaiting:
            break
        }
        return before.text != text
    }

    /// Moves the spinner on by one frame (while anything runs).
    public mutating func advanceSpinner() {
        guard isActive else { return }
        spinnerFrame = (spinnerFrame + 1) % Self.spinnerFrames.count
    }

    /// The pill's words: `2/10 agents · 1 stopping · 3 queued · 1 done`.
    public var label: String {
        var label = "\(running.count)/\(cap) agents"
        if !stopping.isEmpty { label += " · \(stopping.count) stopping" }
        if !queued.isEmpty { label += " · \(queued.count) queued" }
        if done > 0 { label += " · \(done) done" }
        return label
    }

    /// The pill as shown: `● 2/10 agents · 1 done ◐`, or `○ 0/10 agents` when idle.
    public var text: String {
        let dot = running.isEmpty ? "○" : "●"
        var text = "\(dot) \(label)"
        if isActive { text += " \(Self.spinnerFrames[spinnerFrame])" }
        return text
    }

    /// The pill as one line for plain mode (no spinner, which would change every tick).
    public var plainText: String {
        "[\(label)]"
    }
}
