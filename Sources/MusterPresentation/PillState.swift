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
    /// Background agents paused by the person (they hold no slot).
    public private(set) var paused: Set<TaskID> = []
    /// Background shells running now (their own cap; not stopping ones' slots of the agent cap).
    public private(set) var shells: Set<TaskID> = []
    /// Background agents waiting in the queue past the cap.
    public private(set) var queued: Set<TaskID> = []
    /// Finished background results waiting for the main agent.
    public private(set) var done = 0
    /// Index into `spinnerFrames`.
    public private(set) var spinnerFrame = 0
    /// Tokens every model call of the session has used so far (every agent's).
    public private(set) var sessionTokens = 0
    /// Background agents' calls waiting for the person's approval (request ids): `⚠ 1 needs you`.
    public private(set) var needsYou: Set<Int> = []

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
        self.paused = Set(snapshots.filter { $0.mode == .background && $0.isPaused }.map(\.id))
        self.shells = Set(snapshots.filter(\.isRunningBackgroundShell).map(\.id))
    }

    /// A pill that starts from the session's tasks at this moment.
    public init(_ overview: SessionOverview) {
        self.init(cap: overview.maxBackgroundAgents, snapshots: overview.tasks, pendingResults: overview.pendingResults)
    }

    /// Running background agents.
    public var runningCount: Int { running.count }

    /// True while any background agent runs (the spinner turns, ticks are needed).
    public var isActive: Bool { !running.isEmpty || !shells.isEmpty }

    /// True when the pill reads `0/M agents` and nothing waits or is paused: shown dimmed.
    public var isIdle: Bool { running.isEmpty && shells.isEmpty && done == 0 && paused.isEmpty && needsYou.isEmpty }

    /// Notes a background agent's approval request or its answer; true when the pill changed.
    /// (The main agent's requests are asked in the input line, not counted here.)
    @discardableResult
    public mutating func note(approval event: SessionEvent) -> Bool {
        switch event {
        case .approvalRequested(let request) where request.agent.taskID != nil:
            return needsYou.insert(request.id).inserted
        case .approvalAnswered(let id, _, _):
            return needsYou.remove(id) != nil
        default:
            return false
        }
    }

    /// Applies one registry transition; returns true when the pill's text changed.
    @discardableResult
    public mutating func apply(_ event: TaskRegistryEvent) -> Bool {
        let before = self
        switch event {
        case .started(let snapshot), .updated(let snapshot):
            if snapshot.countsAgainstCap { running.insert(snapshot.id) } else { running.remove(snapshot.id) }
            if snapshot.countsAgainstCap && snapshot.isStopping { stopping.insert(snapshot.id) } else { stopping.remove(snapshot.id) }
            if snapshot.mode == .background && snapshot.isPaused { paused.insert(snapshot.id) } else { paused.remove(snapshot.id) }
            if snapshot.isQueued { queued.insert(snapshot.id) } else { queued.remove(snapshot.id) }
            // The spinner moves with the work, not only with the clock.
            if snapshot.countsAgainstCap, case .updated = event { advanceSpinner() }
            if snapshot.isRunningBackgroundShell { shells.insert(snapshot.id) } else { shells.remove(snapshot.id) }
        case .finished(let snapshot):
            shells.remove(snapshot.id)
            running.remove(snapshot.id)
            stopping.remove(snapshot.id)
            paused.remove(snapshot.id)
            queued.remove(snapshot.id)
        case .resultsWaiting(.topLevel, let count):
            done = max(0, count)
        case .resultsWaiting, .message:
            break
        }
        return before.text != text
    }

    /// Counts a model call's tokens; returns true when `tokensText` changed.
    @discardableResult
    public mutating func count(_ usage: Usage) -> Bool {
        let before = tokensText
        sessionTokens += usage.inputTokens + usage.outputTokens
        return tokensText != before
    }

    /// The pill's detail, `12.4k tok`, once the session has used any (the status line shows it
    /// where there is room).
    public var tokensText: String? {
        sessionTokens > 0 ? "\(UsageText.tokens(sessionTokens)) tok" : nil
    }

    /// Moves the spinner on by one frame (while anything runs).
    public mutating func advanceSpinner() {
        guard isActive else { return }
        spinnerFrame = (spinnerFrame + 1) % Self.spinnerFrames.count
    }

    /// The pill's words: `2/10 agents · 1 stopping · 3 queued · 1 done`.
    public var label: String {
        var label = "\(running.count)/\(cap) agents"
        if !shells.isEmpty { label += " · \(shells.count) \(shells.count == 1 ? "shell" : "shells")" }
        if !stopping.isEmpty { label += " · \(stopping.count) stopping" }
        if !paused.isEmpty { label += " · \(paused.count) paused" }
        if !queued.isEmpty { label += " · \(queued.count) queued" }
        if done > 0 { label += " · \(done) done" }
        if !needsYou.isEmpty { label += " · ⚠ \(needsYou.count) needs you" }
        return label
    }

    /// The pill as shown: `● 2/10 agents · 1 done ◐`, or `○ 0/10 agents` when idle.
    public var text: String {
        let dot = running.isEmpty && shells.isEmpty ? "○" : "●"
        var text = "\(dot) \(label)"
        if isActive { text += " \(Self.spinnerFrames[spinnerFrame])" }
        return text
    }

    /// The pill as one line for plain mode (no spinner, which would change every tick).
    public var plainText: String {
        "[\(label)]"
    }
}


extension TaskSnapshot {
    /// A background shell not yet ended (stopping included: its processes may still run).
    var isRunningBackgroundShell: Bool {
        mode == .background && kind == .shell && !status.isTerminal
    }
}
