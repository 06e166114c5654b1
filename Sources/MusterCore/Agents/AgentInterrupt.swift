/// Ends one agent's work in flight from outside without cancelling its body: the one way a pause
/// and a time budget end a model call (and a time budget a tool call). A stop needs little of
/// it: cancelling the body reaches the same work, which runs in a child of the body, except a
/// feed read in the body's own task, which `stop` interrupts.
///
/// The work runs in an `async let` child of the body (`run`), which holds its own task here while
/// it runs; an interruption cancels that task and says why. A model call played into a feed
/// (`LanguageModel.feedTurn`) is read in the body's own task instead (`begin`/`end`): an
/// interruption interrupts the feed; no child task, and no task memory of its own while the call
/// waits. No watch task per model call: the registry calls `setPaused` in the same isolated step
/// as the pause, and the deadline comes from one watch per agent with a time budget
/// (`BudgetGuard.watchDeadline`). A handle to one allocation (the state and its lock): the
/// registry's copy and the run's are the same interrupt.
struct AgentInterrupt: Sendable {
    /// Why the work in flight was ended.
    enum Reason: Sendable, Equatable {
        /// The task was paused: a model call ends (its partial answer dropped) and is asked again on resume.
        case paused
        /// The time budget ran out: a model call or tool calls end, then the agent reports.
        case deadline
    }

    /// What is in flight: a pause ends only a model call; tool calls go on until they finish.
    enum Work: Sendable, Equatable { case modelCall, toolCalls }

    /// How the work in flight is ended: its own task cancelled, or its call's feed interrupted.
    /// `UnsafeCurrentTask` is not Sendable: it is stored and used only under `state`'s lock, and
    /// the work removes it (under that lock) before its task returns, so it is never used after
    /// the task is gone.
    private enum Target: @unchecked Sendable {
        case task(UnsafeCurrentTask)
        case feed(ModelEventFeed)
    }

    private struct InFlight: Sendable {
        let target: Target
        let work: Work

        /// Ends the work (under `state`'s lock; a feed's producer only withdraws a timer action).
        func end() {
            switch target {
            case .task(let task): task.cancel()
            case .feed(let feed): feed.interrupt()
            }
        }
    }

    private struct State {
        var inFlight: InFlight?
        /// Mirrors the registry's phase: true from the pause until the resume.
        var isPaused = false
        /// Messages wait in the task's inbox (set by the registry as one is sent, cleared as
        /// they are taken): the run asks for them only then, with no trip to the registry.
        var messagesWaiting = false
        var deadlinePassed = false
        /// Why the work in flight was ended (read and cleared by `run`).
        var interrupted: Reason?
    }

    private let state: CompactLocked<State>

    /// `paused`: the task starts paused (a restored agent).
    init(paused: Bool = false) {
        state = CompactLocked(State(isPaused: paused))
    }

    /// The task is paused (true) or resumed (false): a model call in flight ends at once, and
    /// none starts while it is paused.
    func setPaused(_ paused: Bool) {
        state.withLock { state in
            state.isPaused = paused
            if paused, let inFlight = state.inFlight, inFlight.work == .modelCall {
                state.interrupted = state.interrupted ?? .paused
                inFlight.end()
            }
        }
    }

    /// The time budget has run out: whatever is in flight ends at once, and later work is ended
    /// before it starts.
    func deadlinePassed() {
        state.withLock { state in
            state.deadlinePassed = true
            if let inFlight = state.inFlight {
                state.interrupted = .deadline
                inFlight.end()
            }
        }
    }

    /// The agent's task was cancelled (a stop): a feed in flight is interrupted, since its reader
    /// waits with no cancellation handler of its own (`ModelEventFeed.nextUnwatched`); no reason
    /// is recorded, so the call ends as cancelled. (A child task is cancelled with its parent.)
    func stop() {
        state.withLock { state in
            if case .feed(let feed)? = state.inFlight?.target { feed.interrupt() }
        }
    }

    /// Whether the task is paused now (the registry says so in the same step as the pause).
    var isPaused: Bool { state.withLock { $0.isPaused } }

    /// Messages were sent to the task (true) or all taken (false); told by the registry in the step that did it.
    func setMessagesWaiting(_ waiting: Bool) {
        state.withLock { $0.messagesWaiting = waiting }
    }

    /// Whether a message waits to be read.
    var hasMessagesWaiting: Bool { state.withLock { $0.messagesWaiting } }

    /// Whether the time budget has run out.
    var hasDeadlinePassed: Bool { state.withLock { $0.deadlinePassed } }

    /// Runs `operation` as the work in flight; returns what it returned (nil when an
    /// interruption came first and it never started) and why it was interrupted, if it was
    /// (what it returned is then what it made of being cancelled). Cancelling the caller (a
    /// stop) cancels the operation too, with no reason given.
    @inline(never)
    func run<T: Sendable>(_ work: Work, _ operation: @escaping @Sendable () async -> T) async -> (value: T?, interrupted: Reason?) {
        async let outcome = runInFlight(work, operation)
        let value = await outcome
        let reason = state.withLock { state in
            defer { state.interrupted = nil }
            return state.interrupted
        }
        return (value, reason)
    }

    /// In the child: registers its own task, runs `operation` unless an interruption came
    /// first (nil then), and unregisters before it returns.
    private func runInFlight<T: Sendable>(_ work: Work, _ operation: @Sendable () async -> T) async -> T? {
        let admitted = withUnsafeCurrentTask { task -> Bool in
            // `task` is nil only outside any task, and this runs in the child.
            state.withLock { state in Self.admit(work, task.map { .task($0) }, &state) }
        }
        guard admitted else { return nil }
        let value = await operation()
        state.withLock { $0.inFlight = nil }
        return value
    }

    /// Begins a model call read from `feed` in the caller's own task, which an interruption
    /// ends through the feed; false when an interruption came first and the call must not go on
    /// (the feed is interrupted then, and `end` says why). Every `begin` is followed by one
    /// `end`, when the call has returned.
    func begin(_ feed: ModelEventFeed) -> Bool {
        if state.withLock({ state in Self.admit(.modelCall, .feed(feed), &state) }) { return true }
        feed.interrupt()
        return false
    }

    /// The call begun by `begin` has returned (or never started): why it was interrupted, if it was
    /// (what it returned is then what it made of the interruption).
    func end() -> Reason? {
        state.withLock { state in
            state.inFlight = nil
            defer { state.interrupted = nil }
            return state.interrupted
        }
    }

    /// Records `target` as the work in flight unless an interruption came first (its reason then
    /// recorded); under the lock.
    private static func admit(_ work: Work, _ target: Target?, _ state: inout State) -> Bool {
        if state.deadlinePassed {
            state.interrupted = .deadline
            return false
        }
        if work == .modelCall, state.isPaused {
            state.interrupted = .paused
            return false
        }
        if let target { state.inFlight = InFlight(target: target, work: work) }
        return true
    }
}
