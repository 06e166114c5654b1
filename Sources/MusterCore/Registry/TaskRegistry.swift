import Foundation
import Logging

/// The single source of truth for every task Muster runs: it owns each task's Swift `Task`,
/// validates its lifecycle, enforces the background cap, delivers results, and cancels for real.
///
/// A thin actor: every rule and every entry's state live in `RegistryMachine`, whose methods
/// return the effects this actor carries out (publish, cancel a body, resume a waiter, log).
///
/// Its transitions go onto the session's bus as `SessionEvent.task(...)`, the one way out of the core.
public actor TaskRegistry {
    /// Tunables of a registry.
    public struct Configuration: Sendable {
        /// Running background agents allowed at once.
        public var maxBackgroundAgents: Int
        /// How many finished entries stay listed in snapshots.
        public var keepFinished: Int
        /// How long `shutdown` waits for bodies to stop after cancelling them.
        public var shutdownGrace: Duration
        /// Progress lines kept per task for `/tasks show`.
        public var trailLength: Int
        /// Running background shells allowed at once.
        public var maxBackgroundShells: Int = BackgroundShellLimit.defaultValue
        /// Background agents that may wait for a slot past the cap (0: refuse at the cap).
        public var backgroundQueue: Int

        public init(
            maxBackgroundAgents: Int = BackgroundAgentLimit.defaultValue,
            keepFinished: Int = 50,
            shutdownGrace: Duration = .seconds(2),
            trailLength: Int = 20,
            backgroundQueue: Int = 0
        ) {
            self.maxBackgroundAgents = max(1, maxBackgroundAgents)
            self.keepFinished = max(0, keepFinished)
            self.shutdownGrace = shutdownGrace
            self.trailLength = max(1, trailLength)
            self.backgroundQueue = max(0, backgroundQueue)
        }

        /// The same, with a cap on background shells too.
        public init(maxBackgroundAgents: Int = BackgroundAgentLimit.defaultValue, maxBackgroundShells: Int, shutdownGrace: Duration = .seconds(2)) {
            self.init(maxBackgroundAgents: maxBackgroundAgents, shutdownGrace: shutdownGrace)
            self.maxBackgroundShells = max(1, maxBackgroundShells)
        }
    }

    /// What a caller asks to start.
    public struct Request: Sendable {
        public var name: String
        public var kind: TaskKind
        public var description: String
        public var spawner: Spawner
        public var mode: TaskMode
        /// The model calls its agent may make (shown as `step 7/100`); nil when not an agent.
        public var stepLimit: Int?
        /// What its agent may spend (see `TaskBudget`).
        public var budget: TaskBudget

        public init(
            name: String, kind: TaskKind = .agent, description: String, spawner: Spawner = .topLevel, mode: TaskMode,
            stepLimit: Int? = nil, budget: TaskBudget = TaskBudget()
        ) {
            self.name = name
            self.kind = kind
            self.description = description
            self.spawner = spawner
            self.mode = mode
            self.stepLimit = stepLimit
            self.budget = budget
        }
    }

    /// The work of a task: returns a result summary, or throws to fail.
    public typealias Body = @Sendable (TaskContext) async throws -> String

    /// Why a start was refused.
    public enum StartRefusal: Error, Equatable, CustomStringConvertible {
        case capReached(limit: Int)
        /// The background shell cap (`--max-background-shells`).
        case shellCapReached(limit: Int)
        /// At the cap with `queue` agents already waiting.
        case queueFull(limit: Int, queue: Int)
        case shutDown

        public var description: String {
            switch self {
            case .capReached(let limit):
                "Cannot start background agent: maximum concurrent background agents (\(limit)) reached. Stop an existing agent first."
            case .shellCapReached(let limit):
                "Cannot start background shell: maximum concurrent background shells (\(limit)) reached. Stop one first (/tasks stop or cancel_task)."
            case .queueFull(let limit, let queue):
                "Cannot start background agent: maximum concurrent background agents (\(limit)) reached and the queue is full (\(queue) waiting). Stop an existing agent first."
            case .shutDown:
                "Cannot start task: Muster is shutting down."
            }
        }
    }

    /// The answer to a cancel request.
    public enum CancelOutcome: Sendable, Equatable {
        /// Cancellation was requested (now or earlier); the terminal event follows.
        case cancelling(TaskSnapshot)
        /// The task had already ended in this state.
        case alreadyFinished(TaskSnapshot)
        case notFound
        /// The caller did not launch that task (scoped variant only).
        case forbidden
    }

    /// The answer to a wait for a background result.
    public enum WaitOutcome: Sendable, Equatable {
        /// The result, now consumed: it will not be delivered again.
        case finished(TaskResult)
        /// Still running when the timeout passed.
        case timedOut(TaskSnapshot)
        /// The waiting task was cancelled; nothing was consumed.
        case cancelled
        /// It ended, but its result was already delivered (drained or waited for).
        case alreadyDelivered(TaskSnapshot)
        /// It was moved to the background (Ctrl+B) while waited for: it runs on, and its result
        /// goes to its spawner's inbox when it ends.
        case movedToBackground(TaskSnapshot)
        case notFound
        case forbidden
    }

    /// The answer to a pause or resume.
    public enum PauseOutcome: Sendable, Equatable {
        /// Paused now; the snapshot says so.
        case paused(TaskSnapshot)
        /// It was paused already.
        case alreadyPaused(TaskSnapshot)
        /// Running again (or pending, if it had not begun).
        case resumed(TaskSnapshot)
        /// A resume of a task that is not paused.
        case notPaused(TaskSnapshot)
        /// A pause of a task that is stopping, ended, or not an agent.
        case notPausable(TaskSnapshot)
        /// A resume refused: the cap is full (or Muster is shutting down).
        case refused(StartRefusal, TaskSnapshot)
        case notFound
    }

    /// The answer to a message sent to an agent.
    public enum MessageOutcome: Sendable, Equatable {
        /// In the agent's inbox, behind `ahead` unread messages.
        case queued(AgentMessage, ahead: Int, TaskSnapshot)
        /// The task is stopping, has ended, or is not an agent: nobody would read it.
        case refused(TaskSnapshot)
        case notFound
        /// The caller did not launch that task (scoped variant only).
        case forbidden
    }

    /// What `shutdown` found.
    public struct ShutdownReport: Sendable, Equatable {
        /// Tasks that were still active when shutdown began.
        public var cancelled: [TaskSnapshot]
        /// Tasks that had not stopped when the grace period ran out.
        public var stragglers: [TaskSnapshot]
    }

    /// The registry's timeline: start times and ages are measured on it.
    public nonisolated let timeline: Timeline
    /// The background cap in force.
    public nonisolated let maxBackgroundAgents: Int
    /// The background shell cap in force.
    public nonisolated let maxBackgroundShells: Int
    private let configuration: Configuration
    private let clock: any Clock<Duration>
    private let logger: Logger
    /// The session's event bus: every transition is published here, synchronously and in order,
    /// so a task's `started` is on it before anything its body publishes.
    public nonisolated let events: SessionEventHub

    /// Every step that reads or changes it begins with `receiveBodyMail`: it decides on no
    /// entry older than what its body told.
    private var machine: RegistryMachine
    /// What the machine's last step asked for; reused so hot paths do not allocate.
    private var effects: [RegistryEffect] = []
    /// The events of the effects being carried out, published together at the end of the step
    /// (or before a waiter is resumed): one lock and at most one wake-up per subscriber.
    private var outgoing: [SessionEvent] = []
    /// While set (by a step that stops everything), `cancelBody` effects gather their bodies
    /// here instead of cancelling them in the step (see `cancelGathered`).
    private var gatheredCancels: [Task<Void, Never>]?
    /// What bodies told and the machine has not taken in yet (see `receiveBodyMail`).
    nonisolated let bodyMail = BodyMailbox()
    private var resultWaiters = WaiterTable<WaitOutcome>()
    private var idleWaiters = WaiterTable<Void>()
    /// Pause and resume watches, by token (see `awaitControl`).
    private var controlWaiters: [Int: CancellableWaiter<Bool>] = [:]
    private var nextControlToken = 0
    /// Called (on this actor) when a paused task's body parks to wait for its resume: tests
    /// wait for it instead of guessing when the body got there.
    private var resumeWaitObserver: (@Sendable (TaskID) -> Void)?

    /// Makes a registry that publishes onto `events` (the session's bus; a new one by default);
    /// `clock` drives timeouts, grace periods and ages (inject a test clock in tests).
    public init(
        configuration: Configuration = Configuration(),
        clock: any Clock<Duration> = ContinuousClock(),
        logger: Logger = Logger(label: "muster.registry", factory: { _ in SwiftLogNoOpLogHandler() }),
        events: SessionEventHub = SessionEventHub(coalescingKey: SessionEvent.coalescingKey)
    ) {
        self.configuration = configuration
        self.events = events
        self.maxBackgroundAgents = configuration.maxBackgroundAgents
        self.maxBackgroundShells = configuration.maxBackgroundShells
        self.clock = clock
        self.timeline = Timeline(clock: clock)
        self.logger = logger
        self.machine = RegistryMachine(limits: .init(
            maxBackgroundAgents: configuration.maxBackgroundAgents,
            keepFinished: configuration.keepFinished,
            trailLength: configuration.trailLength,
            maxBackgroundShells: configuration.maxBackgroundShells,
            backgroundQueue: configuration.backgroundQueue
        ))
    }

    // MARK: Starting

    /// Cheap check before any setup: the refusal a background start would get now, or nil.
    public func preflight(mode: TaskMode, kind: TaskKind = .agent) -> StartRefusal? {
        receiveBodyMail()
        return machine.refusal(mode: mode, kind: kind)
    }

    /// Registers a task and starts its body; returns its id at once, without awaiting any work.
    ///
    /// The entry is visible (pending) before the body runs. The cap check is atomic with the
    /// insertion, because both happen in this one actor-isolated call.
    public func start(_ request: Request, body: @escaping Body) throws(StartRefusal) -> TaskID {
        try start(request, paused: false, body: body)
    }

    /// Registers an agent that starts paused (a restored one): it holds no cap slot, so only a
    /// shutdown refuses it; its body runs up to its first model call and waits for `resume`.
    /// `id`: the id it had in the earlier session, kept when no entry has it or a later one yet.
    public func startPaused(_ request: Request, id: TaskID? = nil, body: @escaping Body) throws(StartRefusal) -> TaskID {
        try start(request, paused: true, id: id, body: body)
    }

    /// Lists a task that ended in an earlier session, under its old id when free; an
    /// `undelivered` result goes to its spawner's inbox now, to be delivered once. Returns its id.
    @discardableResult
    public func restoreFinished(_ task: TaskSnapshot, status: TaskStatus? = nil, undelivered: Bool) -> TaskID {
        receiveBodyMail()
        // A status read from a log that is not terminal would list an ended entry as running.
        let final = status ?? (task.status.isTerminal ? task.status : .failed(error: "not finished"))
        let id = machine.restoreFinished(task, status: final, undelivered: undelivered, now: timeline.now, into: &effects)
        performEffects()
        return id
    }

    private func start(_ request: Request, paused: Bool, id wanted: TaskID? = nil, body: @escaping Body) throws(StartRefusal) -> TaskID {
        receiveBodyMail()
        // An agent's interrupt is made with its entry, paused if it starts paused: its body
        // reads its pauses and messages there, with no trip to this actor.
        let interrupt = request.kind == .agent ? AgentInterrupt(paused: paused) : nil
        let budget = request.budget
        let bodyStart = BodyStart()
        // Detached so the body never runs on this actor; the machine stores the handle before
        // the effects, which may cancel it at once. Its beginning and end are posted, not hops
        // onto this actor (see `BodyMailbox`); it runs only if no stop came first (`BodyStart`).
        let id = try machine.start(request, now: timeline.now, date: Date(), paused: paused, id: wanted, interrupt: interrupt, bodyStart: bodyStart, makeBody: { id in
            let context = TaskContext(id: id, registry: self, interrupt: interrupt, budget: budget)
            return Task.detached { [self] in
                let outcome: RegistryMachine.BodyOutcome
                if Task.isCancelled || !bodyStart.begin() {
                    outcome = .threw(CancellationError())
                } else {
                    await self.post(.began(id))
                    do {
                        outcome = .returned(try await body(context))
                    } catch {
                        outcome = .threw(error)
                    }
                }
                // The body has returned: its end goes to the mailbox, recorded with every post made by then.
                await self.post(.ended(.init(id: id, outcome: outcome)))
            }
        }, into: &effects)
        performEffects()
        return id
    }

    /// Posts what a body tells (see `BodyMailbox`). Only the post that finds no drain on its way
    /// drains, and first lets the work already queued run: under a burst a step of this actor
    /// takes the posts in meanwhile (every step does, see `receiveBodyMail`), and the hop is not made.
    nonisolated func post(_ post: BodyMailbox.Post) async {
        guard let ticket = bodyMail.post(post) else { return }
        await Task.yield()
        guard !bodyMail.isTaken(ticket) else { return }
        // The ended tasks are freed here, off the actor, when the handles go.
        let ended = await drainBodyMail()
        withExtendedLifetime(ended) {}
    }

    // MARK: Progress

    /// Moves a running task to `step` and/or a new activity; appends the activity to its trail
    /// unless `joinsTrail` is false.
    public func report(_ id: TaskID, step: Int? = nil, activity: String?, joinsTrail: Bool = true) {
        receiveBodyMail()
        machine.report(id, step: step, activity: activity, joinsTrail: joinsTrail, now: timeline.now, into: &effects)
        performEffects()
    }

    /// Adds `delta` to a task's own usage and to its ancestors' children's usage.
    public func recordUsage(_ id: TaskID, _ delta: TaskUsage) {
        receiveBodyMail()
        machine.recordUsage(id, delta, now: timeline.now, into: &effects)
        performEffects()
    }

    /// Adds `text` to a task's transcript (one line per line of it).
    public func transcribe(_ id: TaskID, _ text: String) {
        receiveBodyMail()
        machine.transcribe(id, text, now: timeline.now)
    }

    /// What a listed task said and did, bounded (nil once it is no longer listed).
    public func transcript(of id: TaskID) -> AgentTranscript? {
        receiveBodyMail()
        return machine.transcript(of: id)
    }

    /// Adds a line to a task's progress trail without changing its status.
    public func note(_ id: TaskID, _ line: String) {
        receiveBodyMail()
        machine.note(id, line)
    }

    // MARK: Moving to the background

    /// Whether a foreground task could be moved to the background.
    public enum MoveOutcome: Sendable, Equatable {
        case moved(TaskSnapshot)
        /// Not an active, unstopped foreground task.
        case notMovable
        case refused(StartRefusal)
    }

    /// Moves a running foreground task to the background (Ctrl+B): it keeps its id, its body and
    /// everything it did; its result reaches its spawner's inbox when it ends.
    public func moveToBackground(_ id: TaskID) -> MoveOutcome {
        receiveBodyMail()
        let refusal = machine.moveToBackground(id, now: timeline.now, into: &effects)
        performEffects()
        switch refusal {
        case .none:
            return machine.snapshot(of: id, now: timeline.now).map(MoveOutcome.moved) ?? .notMovable
        case .some(.none):
            return .notMovable
        case .some(.some(let reason)):
            return .refused(reason)
        }
    }

    // MARK: Cancelling

    /// Cancels the task's real `Task` (idempotent) and, transitively, everything it launched.
    @discardableResult
    public func cancel(_ id: TaskID, source: CancellationSource = .user) -> CancelOutcome {
        receiveBodyMail()
        let outcome = machine.cancel(id, source: source, now: timeline.now, into: &effects)
        performEffects()
        return outcome
    }

    /// The model-facing variant: only the task's own spawner may cancel it.
    @discardableResult
    public func cancel(_ id: TaskID, requestedBy caller: Spawner) -> CancelOutcome {
        receiveBodyMail()
        let outcome = machine.cancel(id, requestedBy: caller, now: timeline.now, into: &effects)
        performEffects()
        return outcome
    }

    /// Cancels every active task launched by `spawner` (and, transitively, theirs); returns their ids.
    @discardableResult
    public func cancel(spawnedBy spawner: Spawner, source: CancellationSource) -> [TaskID] {
        receiveBodyMail()
        let ids = machine.cancel(spawnedBy: spawner, source: source, now: timeline.now, into: &effects)
        performEffects()
        return ids
    }

    /// Cancels every active task; returns their ids once every body has been cancelled.
    @discardableResult
    public func cancelAll(source: CancellationSource = .user) async -> [TaskID] {
        receiveBodyMail()
        // The effects are carried out as they come, a batch at a time, all in this one step,
        // but for the bodies' cancellation (see `cancelGathered`).
        gatheredCancels = []
        let ids = machine.cancelAll(source: source, now: timeline.now, into: &effects, flush: { batch in
            self.carryOut(batch)
            batch.removeAll(keepingCapacity: true)
        })
        performEffects()
        await cancelGathered()
        return ids
    }

    /// Cancels the bodies gathered since `gatheredCancels` was set, off this actor. Every stop
    /// is already recorded and published, so nothing depends on the order: a body cancelled
    /// meanwhile just ends. Cancelling runs each body's cancellation handlers (a model stream
    /// ending, a timer withdrawn): 100,000 of them took a fifth of a second in the step, while
    /// the bodies that ended could not be recorded; now they are recorded as they end.
    private func cancelGathered() async {
        let bodies = gatheredCancels ?? []
        gatheredCancels = nil
        await Self.cancel(bodies)
    }

    @concurrent
    private nonisolated static func cancel(_ bodies: [Task<Void, Never>]) async {
        for body in bodies { body.cancel() }
    }

    // MARK: Pausing, resuming and messages

    /// Pauses an agent: its in-flight model request is cancelled and re-issued on resume, its
    /// tool calls under way finish, its children keep running. It holds no cap slot while paused.
    @discardableResult
    public func pause(_ id: TaskID) -> PauseOutcome {
        receiveBodyMail()
        let outcome = machine.pause(id, now: timeline.now, into: &effects)
        if case .paused = outcome { machine.interrupt(of: id)?.setPaused(true) }
        performEffects()
        return outcome
    }

    /// Resumes a paused agent, unless the cap is full (`.refused` with the cap message).
    @discardableResult
    public func resume(_ id: TaskID) -> PauseOutcome {
        receiveBodyMail()
        let outcome = machine.resume(id, now: timeline.now, into: &effects)
        if case .resumed = outcome { machine.interrupt(of: id)?.setPaused(false) }
        performEffects()
        return outcome
    }

    /// Pauses every running or pending agent; returns their ids.
    @discardableResult
    public func pauseAll() -> [TaskID] {
        receiveBodyMail()
        let ids = machine.pauseAll(now: timeline.now, into: &effects)
        for id in ids { machine.interrupt(of: id)?.setPaused(true) }
        performEffects()
        return ids
    }

    /// Resumes every paused agent, oldest first, while the cap allows.
    @discardableResult
    public func resumeAll() -> (resumed: [TaskID], refused: [TaskID], refusal: StartRefusal?) {
        receiveBodyMail()
        let outcome = machine.resumeAll(now: timeline.now, into: &effects)
        for id in outcome.resumed { machine.interrupt(of: id)?.setPaused(false) }
        performEffects()
        return outcome
    }

    /// Puts `text` in agent `id`'s inbox: it reads it before its next model call.
    @discardableResult
    public func sendMessage(_ text: String, to id: TaskID, from sender: MessageSender = .person) -> MessageOutcome {
        receiveBodyMail()
        let outcome = machine.sendMessage(text, to: id, from: sender, requestedBy: nil, now: timeline.now, into: &effects)
        if case .queued = outcome { machine.interrupt(of: id)?.setMessagesWaiting(true) }
        performEffects()
        return outcome
    }

    /// The model-facing variant: only the agent's own spawner may message it.
    @discardableResult
    public func sendMessage(_ text: String, to id: TaskID, requestedBy caller: Spawner) -> MessageOutcome {
        receiveBodyMail()
        let outcome = machine.sendMessage(text, to: id, from: .agent(caller), requestedBy: caller, now: timeline.now, into: &effects)
        if case .queued = outcome { machine.interrupt(of: id)?.setMessagesWaiting(true) }
        performEffects()
        return outcome
    }

    /// Takes agent `id`'s unread messages, oldest first (each `message_read` is published).
    public func takeMessages(for id: TaskID) -> [AgentMessage] {
        receiveBodyMail()
        let messages = machine.takeMessages(id, into: &effects)
        machine.interrupt(of: id)?.setMessagesWaiting(false)
        performEffects()
        return messages
    }

    /// Unread messages in agent `id`'s inbox.
    public func unreadMessageCount(for id: TaskID) -> Int {
        receiveBodyMail()
        return machine.unreadMessageCount(id)
    }

    /// Suspends until task `id` is paused (`.paused`) or no longer paused (`.resumed`); true when
    /// it got there, false when it never will (stopping, ended) or the caller was cancelled.
    func awaitControl(_ id: TaskID, waitingFor kind: RegistryMachine.ControlWait) async -> Bool {
        receiveBodyMail()
        if let ready = machine.controlAnswer(id, waitingFor: kind) { return ready }
        if Task.isCancelled { return false }
        let token = nextControlToken
        nextControlToken += 1
        let waiter = CancellableWaiter<Bool>()
        controlWaiters[token] = waiter
        machine.addControlWaiter(token, for: id, waitingFor: kind)
        if kind == .resumed { resumeWaitObserver?(id) }
        // No task group per watch (every paused agent waits on one): the waiter
        // returns nil when its caller is cancelled, and the watch is then expired here.
        if let answer = await waiter.wait() { return answer }
        controlWaiters[token] = nil
        expireControlWaiter(token, task: id)
        return false
    }

    /// Pause and resume watches still suspended (for tests).
    var suspendedControlWaits: Int { controlWaiters.count }

    /// Sets the observer of bodies parking at their pause (for tests).
    func observeResumeWaits(_ observer: @escaping @Sendable (TaskID) -> Void) {
        resumeWaitObserver = observer
    }

    private func expireControlWaiter(_ token: Int, task id: TaskID) {
        receiveBodyMail()
        perform(machine.expireControlWaiter(token, for: id))
    }

    // MARK: Results

    /// Takes every finished background result waiting for `spawner`, oldest first; each is delivered once.
    public func drainResults(for spawner: Spawner) -> [TaskResult] {
        receiveBodyMail()
        let (results, effects) = machine.drainResults(for: spawner)
        perform(effects)
        return results
    }

    /// Finished background results waiting for `spawner`.
    public func pendingResultCount(for spawner: Spawner) -> Int {
        receiveBodyMail()
        return machine.pendingResultCount(for: spawner)
    }

    /// Waits for a task that `caller` launched, up to `timeout` (nil: until it ends); a result
    /// returned here is consumed. A cancelled caller gets `.cancelled` at once.
    public func wait(for id: TaskID, requestedBy caller: Spawner, timeout: Duration? = nil) async -> WaitOutcome {
        receiveBodyMail()
        let (answer, effects) = machine.answerWait(for: id, requestedBy: caller, now: timeline.now)
        perform(effects)
        if let answer { return answer }
        if Task.isCancelled { return .cancelled }

        let token = resultWaiters.register()
        machine.addWaiter(token, for: id)
        let clock = self.clock
        // Two owned children: the waiter, and its expiry, which gives the wait up when the timeout
        // passes or the caller is cancelled (cancellation reaches every child). Both resolve the
        // waiter on this actor, so a result and an expiry never both claim it: the later finds it
        // resolved. Once the waiter has its outcome the expiry is cancelled, and ends with no effect.
        return await withTaskGroup(of: WaitOutcome?.self) { group in
            group.addTask { await self.suspendResultWaiter(token) }
            group.addTask {
                let expiry: RegistryMachine.WaitExpiry
                if let timeout {
                    expiry = (try? await clock.sleep(for: timeout)) != nil ? .timedOut : .cancelled
                } else {
                    await untilCancelled()
                    expiry = .cancelled
                }
                await self.expireResultWaiter(token, task: id, because: expiry)
                return nil
            }
            var outcome = WaitOutcome.notFound
            for await candidate in group {
                if let candidate {
                    outcome = candidate
                    group.cancelAll()
                }
            }
            return outcome
        }
    }

    // MARK: Reading

    /// Every listed entry sorted by id, with live age: active ones and the last finished ones.
    public func snapshot() -> [TaskSnapshot] {
        receiveBodyMail()
        return machine.snapshot(now: timeline.now)
    }

    /// A window of the listing, the rows a screen shows: at most `limit` entries in id order from
    /// `first` on, and how many are listed in all. Costs what the window holds, whatever the total.
    public func snapshot(from first: TaskID, limit: Int) -> (rows: [TaskSnapshot], total: Int) {
        receiveBodyMail()
        return machine.snapshot(from: first, limit: limit, now: timeline.now)
    }

    /// One entry, if still listed.
    public func snapshot(of id: TaskID) -> TaskSnapshot? {
        receiveBodyMail()
        return machine.snapshot(of: id, now: timeline.now)
    }

    /// Background agents that count against the cap right now (stopping ones included).
    public var runningBackgroundAgents: Int {
        receiveBodyMail()
        return machine.capSlotsHeld
    }

    /// Background shells that count against the shell cap right now (stopping ones included).
    public var runningBackgroundShells: Int {
        receiveBodyMail()
        return machine.shellSlotsHeld
    }

    /// Background agents waiting in the queue for a slot.
    public var queuedBackgroundAgents: Int {
        receiveBodyMail()
        return machine.queuedCount
    }

    /// Tasks not yet in a terminal state.
    public var activeTasks: Int {
        receiveBodyMail()
        return machine.activeCount
    }

    /// Whether `shutdown` has begun.
    public var isShutDown: Bool {
        receiveBodyMail()
        return machine.isShuttingDown
    }

    /// Waits still suspended, as the machine and the waiter table count them (for tests).
    var suspendedWaits: (machine: Int, table: Int) { (machine.waiterCount, resultWaiters.count) }

    // MARK: Shutting down

    /// Refuses new starts, cancels everything, and waits up to `grace` for every body to stop.
    /// The bus stays open: whoever owns it (the session) finishes it after this returns.
    public func shutdown(grace: Duration? = nil) async -> ShutdownReport {
        receiveBodyMail()
        // As in cancelAll: the effects carried out a batch at a time, all in this one step,
        // and the bodies cancelled off this actor.
        gatheredCancels = []
        let wasActive = machine.beginShutdown(now: timeline.now, into: &effects, flush: { batch in
            self.carryOut(batch)
            batch.removeAll(keepingCapacity: true)
        })
        performEffects()
        await cancelGathered()
        if machine.activeCount > 0 {
            let token = idleWaiters.register()
            let clock = self.clock
            let grace = grace ?? configuration.shutdownGrace
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.suspendIdleWaiter(token) }
                group.addTask {
                    try? await clock.sleep(for: grace)
                    await self.resolveIdleWaiter(token)
                }
                await group.next()
                group.cancelAll()
            }
        }
        // The ends posted while it waited, before it names stragglers.
        receiveBodyMail()
        let now = timeline.now
        let stragglers = machine.activeSnapshots(now: now)
        let cancelled = wasActive.map { machine.snapshot(of: $0, now: now) }
        if !stragglers.isEmpty {
            logger.warning("tasks did not stop within the grace period", metadata: ["tasks": "\(stragglers.map(\.id))"])
        }
        return ShutdownReport(cancelled: cancelled, stragglers: stragglers)
    }

    // MARK: Body lifecycle (called by the task's own body wrapper)

    /// Records every post made to the mailbox, in the order posted, in one step (nothing when a
    /// step took them in already); returns the handles of the bodies that ended, for the caller
    /// to drop off this actor.
    private func drainBodyMail() -> [Task<Void, Never>] {
        receiveBodyMail()
        return machine.takeEndedBodies()
    }

    /// Takes in what bodies posted (`BodyMailbox`) and carries out what follows: the first thing
    /// every step that reads or changes an entry does, so it decides on no entry older than
    /// what its body told, and a body's own later call finds its posts recorded, in order. Only
    /// at a step's start: taken in between two of a step's calls of the machine, an end would
    /// change what the first call found (a wait registered for a task that had just ended).
    private func receiveBodyMail() {
        guard bodyMail.hasPosts else { return }
        machine.receive(bodyMail.take(), now: timeline.now, into: &effects, flush: { batch in
            self.carryOut(batch)
            batch.removeAll(keepingCapacity: true)
        })
        performEffects()
    }

    // MARK: Carrying out effects

    /// Carries out what the machine put in `effects`, in order, and empties it (keeping its storage).
    private func performEffects() {
        var index = 0
        while index < effects.count {
            perform(effects[index])
            index += 1
        }
        // Keeps the storage of ordinary steps, not that of a cancelAll of thousands.
        effects.removeAll(keepingCapacity: effects.count <= 64)
        publishOutgoing()
    }

    private func perform(_ effects: [RegistryEffect]) {
        carryOut(effects)
        publishOutgoing()
    }

    /// Carries out `effects` but leaves their events in `outgoing`: the step goes on.
    private func carryOut(_ effects: [RegistryEffect]) {
        for effect in effects { perform(effect) }
    }

    private func perform(_ effect: RegistryEffect) {
        switch effect {
        case .publish(let event):
            outgoing.append(.task(event))
            if outgoing.count >= 512 { publishOutgoing() }
        case .cancelBody(_, let body):
            guard let body else { break }
            if gatheredCancels != nil { gatheredCancels?.append(body) } else { body.cancel() }
        case .resolveWaiter(let token, let outcome):
            // A resumed caller runs at once: what happened before its answer is on the bus first.
            publishOutgoing()
            resultWaiters.resolve(token, with: outcome)
        case .resolveControlWaiter(let token, let value):
            publishOutgoing()
            controlWaiters.removeValue(forKey: token)?.resolve(value)
        case .resolveIdleWaiters:
            publishOutgoing()
            idleWaiters.resolveAll(with: ())
        case .log(let entry):
            log(entry)
        }
    }

    /// Publishes the events gathered so far, in order.
    private func publishOutgoing() {
        guard !outgoing.isEmpty else { return }
        if outgoing.count == 1 {
            events.publish(outgoing[0])
        } else {
            events.publish(contentsOf: outgoing)
        }
        outgoing.removeAll(keepingCapacity: outgoing.count <= 512)
    }

    private func log(_ entry: RegistryLogEntry) {
        switch entry {
        case .started(let id, let name, let mode):
            logger.debug("task started", metadata: ["task": "\(id)", "name": "\(name)", "mode": "\(mode.rawValue)"])
        case .cancelRequested(let id, let source):
            logger.debug("task cancel requested", metadata: ["task": "\(id)", "source": "\(source.tag)"])
        case .ended(let id, let status):
            logger.debug("task ended", metadata: ["task": "\(id)", "status": "\(status)"])
        case .paused(let id):
            logger.debug("task paused", metadata: ["task": "\(id)"])
        case .resumed(let id):
            logger.debug("task resumed", metadata: ["task": "\(id)"])
        case .illegalTransition(let id, let from, let to):
            logger.error("illegal task transition", metadata: ["task": "\(id)", "from": "\(from.rawValue)", "to": "\(to.rawValue)"])
        }
    }

    private func suspendResultWaiter(_ token: Int) async -> WaitOutcome {
        if let ready = resultWaiters.takeIfResolved(token) { return ready }
        return await withCheckedContinuation { continuation in
            resultWaiters.attach(token, continuation)
        }
    }

    private func expireResultWaiter(_ token: Int, task id: TaskID, because expiry: RegistryMachine.WaitExpiry) {
        receiveBodyMail()
        perform(machine.expireWaiter(token, for: id, because: expiry, now: timeline.now))
    }

    private func suspendIdleWaiter(_ token: Int) async {
        receiveBodyMail()
        if machine.activeCount == 0 { resolveIdleWaiter(token) }
        if idleWaiters.takeIfResolved(token) != nil { return }
        await withCheckedContinuation { continuation in
            idleWaiters.attach(token, continuation)
        }
    }

    private func resolveIdleWaiter(_ token: Int) {
        idleWaiters.resolve(token, with: ())
    }

    static func describe(_ error: any Error) -> String {
        if let localized = error as? any LocalizedError, let text = localized.errorDescription { return text }
        return String(describing: error)
    }
}
