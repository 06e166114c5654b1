import DequeModule
import Foundation
import Logging

/// The single source of truth for every task Muster runs: it owns each task's Swift `Task`,
/// validates its lifecycle, enforces the background cap, delivers results, and cancels for real.
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

        public init(
            maxBackgroundAgents: Int = BackgroundAgentLimit.defaultValue,
            keepFinished: Int = 50,
            shutdownGrace: Duration = .seconds(2),
            trailLength: Int = 20
        ) {
            self.maxBackgroundAgents = max(1, maxBackgroundAgents)
            self.keepFinished = max(0, keepFinished)
            self.shutdownGrace = shutdownGrace
            self.trailLength = max(1, trailLength)
        }
    }

    /// What a caller asks to start.
    public struct Request: Sendable {
        public var name: String
        public var kind: TaskKind
        public var description: String
        public var spawner: Spawner
        public var mode: TaskMode

        public init(name: String, kind: TaskKind = .agent, description: String, spawner: Spawner = .topLevel, mode: TaskMode) {
            self.name = name
            self.kind = kind
            self.description = description
            self.spawner = spawner
            self.mode = mode
        }
    }

    /// The work of a task: returns a result summary, or throws to fail.
    public typealias Body = @Sendable (TaskContext) async throws -> String

    /// Why a start was refused.
    public enum StartRefusal: Error, Equatable, CustomStringConvertible {
        case capReached(limit: Int)
        case shutDown

        public var description: String {
            switch self {
            case .capReached(let limit):
                "Cannot start background agent: maximum concurrent background agents (\(limit)) reached. Stop an existing agent first."
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
        /// It ended, but its result was already delivered (drained or waited for).
        case alreadyDelivered(TaskSnapshot)
        case notFound
        case forbidden
    }

    /// What `shutdown` found.
    public struct ShutdownReport: Sendable, Equatable {
        /// Tasks that were still active when shutdown began.
        public var cancelled: [TaskSnapshot]
        /// Tasks that had not stopped when the grace period ran out.
        public var stragglers: [TaskSnapshot]
    }

    /// A class, so that updates change the entry in place instead of copying it out of the
    /// dictionary and back (it never leaves the actor).
    private final class Entry {
        let id: TaskID
        let request: Request
        let startedAt: Duration
        let startDate: Date
        var status: TaskStatus = .pending
        var cancelRequested: CancellationSource?
        var endedAt: Duration?
        /// An array, not a deque: snapshots share its storage instead of copying it (at most
        /// `trailLength` lines, so dropping the oldest is cheap).
        var trail: [String] = []
        var task: Task<Void, Never>?
        /// The result has been handed to its spawner (drained or waited for).
        var delivered = false
        /// Still in `entries` (false once trimmed from the listing).
        var isListed = true

        init(id: TaskID, request: Request, startedAt: Duration, startDate: Date) {
            self.id = id
            self.request = request
            self.startedAt = startedAt
            self.startDate = startDate
        }

        /// A stopping agent still holds its slot: its work may still burn a core until the body returns.
        var countsAgainstCap: Bool {
            request.mode == .background && request.kind == .agent && !status.isTerminal
        }
    }

    private enum Phase { case open, shuttingDown }

    /// The registry's timeline: start times and ages are measured on it.
    public nonisolated let timeline: Timeline
    /// The background cap in force.
    public nonisolated let maxBackgroundAgents: Int
    private let configuration: Configuration
    private let clock: any Clock<Duration>
    private let logger: Logger
    private let hub = EventHub<TaskRegistryEvent, TaskRegistryEventKey>(coalescingKey: TaskRegistryEvent.coalescingKey)

    private var phase = Phase.open
    private var nextID = 1
    private var entries: [TaskID: Entry] = [:]
    /// The same entries in id order (ids only grow), so listings need no sort; trimmed entries
    /// are skipped and swept out once they are half of it.
    private var listed = Deque<Entry>()
    private var unlistedCount = 0
    private var activeChildren: [Spawner: Set<TaskID>] = [:]
    private var inboxes: [Spawner: Deque<TaskResult>] = [:]
    private var finishedOrder = Deque<TaskID>()
    private var activeCount = 0
    private var runningBackgroundCount = 0
    private var resultWaiters = WaiterTable<WaitOutcome>()
    private var resultWaitersByTask: [TaskID: [Int]] = [:]
    private var idleWaiters = WaiterTable<Void>()

    /// Makes a registry; `clock` drives timeouts, grace periods and ages (inject a test clock in tests).
    public init(
        configuration: Configuration = Configuration(),
        clock: any Clock<Duration> = ContinuousClock(),
        logger: Logger = Logger(label: "muster.registry", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.configuration = configuration
        self.maxBackgroundAgents = configuration.maxBackgroundAgents
        self.clock = clock
        self.timeline = Timeline(clock: clock)
        self.logger = logger
    }

    // MARK: Subscribing

    /// Forwards every transition, synchronously and in order, to `body` (e.g. onto a session's
    /// event bus, so a task's start is there before anything its body publishes).
    public nonisolated func forwardEvents(to body: @escaping @Sendable (TaskRegistryEvent) -> Void) {
        hub.tap(body)
    }

    /// A new subscriber to every transition from now on; it never slows the registry down.
    public nonisolated func subscribe() -> EventSubscription<TaskRegistryEvent, TaskRegistryEventKey> {
        hub.subscribe()
    }

    // MARK: Starting

    /// Cheap check before any setup: the refusal a background start would get now, or nil.
    public func preflight(mode: TaskMode, kind: TaskKind = .agent) -> StartRefusal? {
        if phase == .shuttingDown { return .shutDown }
        if mode == .background, kind == .agent, runningBackgroundCount >= configuration.maxBackgroundAgents {
            return .capReached(limit: configuration.maxBackgroundAgents)
        }
        return nil
    }

    /// Registers a task and starts its body; returns its id at once, without awaiting any work.
    ///
    /// The entry is visible (pending) before the body runs. The cap check is atomic with the
    /// insertion, because both happen in this one actor-isolated call.
    public func start(_ request: Request, body: @escaping Body) throws(StartRefusal) -> TaskID {
        if let refusal = preflight(mode: request.mode, kind: request.kind) { throw refusal }
        let id = TaskID(nextID)
        nextID += 1
        let entry = Entry(id: id, request: request, startedAt: timeline.now, startDate: Date())
        entries[id] = entry
        listed.append(entry)
        activeCount += 1
        if entry.countsAgainstCap { runningBackgroundCount += 1 }
        activeChildren[request.spawner, default: []].insert(id)
        publish(.started(snapshot(of: entry)))
        logger.debug("task started", metadata: ["task": "\(id)", "name": "\(request.name)", "mode": "\(request.mode.rawValue)"])

        let context = TaskContext(id: id, registry: self)
        // Detached so the body never runs on this actor; the handle is stored right below,
        // before the body can reach the registry again (it must hop onto this actor first).
        let task = Task.detached { [self] in
            guard await self.beginBody(id) else {
                await self.recordEnd(id, outcome: .threw(CancellationError()))
                return
            }
            let outcome: BodyOutcome
            do {
                outcome = .returned(try await body(context))
            } catch {
                outcome = .threw(error)
            }
            await self.recordEnd(id, outcome: outcome)
        }
        entries[id]?.task = task
        // A parent that is being cancelled (or has ended) already ran its cascade: a child it
        // launches now would otherwise outlive it unsupervised, its result dropped.
        if let parent = request.spawner.taskID,
           entries[parent].map({ $0.cancelRequested != nil || $0.status.isTerminal }) ?? true {
            cancel(id, source: .parentEnded(parent))
        }
        return id
    }

    // MARK: Progress

    /// Moves a running task to `step` and/or a new activity; appends the activity to its trail.
    public func report(_ id: TaskID, step: Int? = nil, activity: String?) {
        guard let entry = entries[id], case .running(let currentStep, _) = entry.status else { return }
        let next = TaskStatus.running(step: step ?? currentStep, activity: activity)
        guard apply(next, to: entry) else { return }
        if let activity { appendTrail(activity, to: entry) }
        publish(.updated(snapshot(of: entry)))
    }

    /// Adds a line to a task's progress trail without changing its status.
    public func note(_ id: TaskID, _ line: String) {
        guard let entry = entries[id], !entry.status.isTerminal else { return }
        appendTrail(line, to: entry)
    }

    // MARK: Cancelling

    /// Cancels the task's real `Task` (idempotent) and, transitively, everything it launched.
    @discardableResult
    public func cancel(_ id: TaskID, source: CancellationSource = .user) -> CancelOutcome {
        guard let entry = entries[id] else { return .notFound }
        if entry.status.isTerminal { return .alreadyFinished(snapshot(of: entry)) }
        if entry.cancelRequested == nil {
            entry.cancelRequested = source
            entry.task?.cancel()
            publish(.updated(snapshot(of: entry)))
            logger.debug("task cancel requested", metadata: ["task": "\(id)", "source": "\(source.tag)"])
            cancel(spawnedBy: .task(id), source: .parentEnded(id))
        }
        return .cancelling(snapshot(of: entry))
    }

    /// The model-facing variant: only the task's own spawner may cancel it.
    @discardableResult
    public func cancel(_ id: TaskID, requestedBy caller: Spawner) -> CancelOutcome {
        guard let entry = entries[id] else { return .notFound }
        guard entry.request.spawner == caller else { return .forbidden }
        return cancel(id, source: .spawner)
    }

    /// Cancels every active task launched by `spawner` (and, transitively, theirs); returns their ids.
    @discardableResult
    public func cancel(spawnedBy spawner: Spawner, source: CancellationSource) -> [TaskID] {
        let children = (activeChildren[spawner] ?? []).sorted()
        var cancelled: [TaskID] = []
        for child in children {
            if case .cancelling = cancel(child, source: source) { cancelled.append(child) }
        }
        return cancelled
    }

    /// Cancels every active task; returns their ids.
    @discardableResult
    public func cancelAll(source: CancellationSource = .user) -> [TaskID] {
        let active = listed.filter { $0.isListed && !$0.status.isTerminal }.map(\.id)
        for id in active { cancel(id, source: source) }
        return active
    }

    // MARK: Results

    /// Takes every finished background result waiting for `spawner`, oldest first; each is delivered once.
    public func drainResults(for spawner: Spawner) -> [TaskResult] {
        guard let inbox = inboxes.removeValue(forKey: spawner), !inbox.isEmpty else { return [] }
        for result in inbox { entries[result.id]?.delivered = true }
        publish(.resultsWaiting(spawner, count: 0))
        return Array(inbox)
    }

    /// Finished background results waiting for `spawner`.
    public func pendingResultCount(for spawner: Spawner) -> Int {
        inboxes[spawner]?.count ?? 0
    }

    /// Waits up to `timeout` for a task that `caller` launched; a result returned here is consumed.
    public func wait(for id: TaskID, requestedBy caller: Spawner, timeout: Duration) async -> WaitOutcome {
        guard let entry = entries[id] else { return takeTrimmedResult(id, for: caller) }
        guard entry.request.spawner == caller else { return .forbidden }
        if entry.status.isTerminal { return takeResult(of: entry) }

        let token = resultWaiters.register()
        resultWaitersByTask[id, default: []].append(token)
        let clock = self.clock
        return await withTaskGroup(of: WaitOutcome?.self) { group in
            group.addTask { await self.suspendResultWaiter(token) }
            group.addTask {
                try? await clock.sleep(for: timeout)
                await self.expireResultWaiter(token, task: id)
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
        let now = timeline.now
        var snapshots: [TaskSnapshot] = []
        snapshots.reserveCapacity(listed.count - unlistedCount)
        for entry in listed where entry.isListed { snapshots.append(snapshot(of: entry, now: now)) }
        return snapshots
    }

    /// One entry, if still listed.
    public func snapshot(of id: TaskID) -> TaskSnapshot? {
        entries[id].map { snapshot(of: $0) }
    }

    /// Background agents that count against the cap right now.
    public var runningBackgroundAgents: Int { runningBackgroundCount }

    /// Tasks not yet in a terminal state.
    public var activeTasks: Int { activeCount }

    /// Whether `shutdown` has begun.
    public var isShutDown: Bool { phase == .shuttingDown }

    // MARK: Shutting down

    /// Refuses new starts, cancels everything, and waits up to `grace` for every body to stop.
    public func shutdown(grace: Duration? = nil) async -> ShutdownReport {
        phase = .shuttingDown
        // Held by reference: entries that end during the wait may be trimmed from the listing,
        // and the report must still count every one of them.
        let wasActive = cancelAll(source: .shutdown).compactMap { entries[$0] }
        if activeCount > 0 {
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
        hub.finish()
        let stragglers = listed.filter { $0.isListed && !$0.status.isTerminal }.map { snapshot(of: $0) }
        let cancelled = wasActive.map { snapshot(of: $0) }
        if !stragglers.isEmpty {
            logger.warning("tasks did not stop within the grace period", metadata: ["tasks": "\(stragglers.map(\.id))"])
        }
        return ShutdownReport(cancelled: cancelled, stragglers: stragglers)
    }

    // MARK: Body lifecycle (called by the task's own body wrapper)

    private enum BodyOutcome {
        case returned(String)
        case threw(any Error)
    }

    /// pending → running, unless the task was cancelled before its body got to run.
    private func beginBody(_ id: TaskID) -> Bool {
        guard let entry = entries[id], entry.cancelRequested == nil, !Task.isCancelled else { return false }
        guard apply(.running(step: 0, activity: nil), to: entry) else { return false }
        publish(.updated(snapshot(of: entry)))
        return true
    }

    /// Records the one terminal state, by id: a late body can never touch another entry.
    private func recordEnd(_ id: TaskID, outcome: BodyOutcome) {
        guard let entry = entries[id], !entry.status.isTerminal else { return }
        let final: TaskStatus
        if let source = entry.cancelRequested {
            final = .cancelled(by: source)
        } else {
            switch outcome {
            case .returned(let summary):
                final = .completed(summary: summary)
            case .threw(let error as CancellationError):
                final = .failed(error: "interrupted (\(error))")
            case .threw(let error):
                final = .failed(error: Self.describe(error))
            }
        }
        if entry.countsAgainstCap { runningBackgroundCount -= 1 }
        guard apply(final, to: entry) else { return }
        entry.endedAt = timeline.now
        entry.task = nil
        activeCount -= 1
        activeChildren[entry.request.spawner]?.remove(id)
        if activeChildren[entry.request.spawner]?.isEmpty == true { activeChildren[entry.request.spawner] = nil }
        publish(.finished(snapshot(of: entry)))
        logger.debug("task ended", metadata: ["task": "\(id)", "status": "\(final.word)"])

        deliver(entry)
        // Everything this task launched ends with it.
        cancel(spawnedBy: .task(id), source: .parentEnded(id))
        if inboxes.removeValue(forKey: .task(id)) != nil {
            publish(.resultsWaiting(.task(id), count: 0))
        }
        finishedOrder.append(id)
        trimFinished()
        if activeCount == 0 { resolveIdleWaiterAll() }
    }

    // MARK: Internals

    private func apply(_ next: TaskStatus, to entry: Entry) -> Bool {
        guard entry.status.canTransition(to: next) else {
            logger.error("illegal task transition", metadata: ["task": "\(entry.id)", "from": "\(entry.status.word)", "to": "\(next.word)"])
            return false
        }
        entry.status = next
        return true
    }

    private func appendTrail(_ line: String, to entry: Entry) {
        entry.trail.append(line)
        if entry.trail.count > configuration.trailLength { entry.trail.removeFirst(entry.trail.count - configuration.trailLength) }
    }

    private func result(of entry: Entry) -> TaskResult {
        TaskResult(
            id: entry.id, name: entry.request.name, description: entry.request.description,
            status: entry.status, duration: (entry.endedAt ?? timeline.now) - entry.startedAt,
            trail: entry.trail
        )
    }

    /// Hands a finished result to a waiting `wait`, else (background only) to the spawner's inbox.
    private func deliver(_ entry: Entry) {
        let spawner = entry.request.spawner
        let result = result(of: entry)
        if let tokens = resultWaitersByTask.removeValue(forKey: entry.id), let first = tokens.first {
            entry.delivered = true
            resultWaiters.resolve(first, with: .finished(result))
            for token in tokens.dropFirst() {
                resultWaiters.resolve(token, with: .alreadyDelivered(snapshot(of: entry)))
            }
            return
        }
        // Foreground results go to whoever waits for them, never to an inbox.
        guard entry.request.mode == .background else { return }
        // A spawner that already ended will never drain its inbox: drop the result.
        if let parent = spawner.taskID, entries[parent]?.status.isTerminal ?? true { return }
        inboxes[spawner, default: []].append(result)
        publish(.resultsWaiting(spawner, count: inboxes[spawner]?.count ?? 0))
    }

    private func takeResult(of entry: Entry) -> WaitOutcome {
        if entry.delivered { return .alreadyDelivered(snapshot(of: entry)) }
        entry.delivered = true
        let spawner = entry.request.spawner
        if var inbox = inboxes[spawner], let index = inbox.firstIndex(where: { $0.id == entry.id }) {
            inbox.remove(at: index)
            inboxes[spawner] = inbox.isEmpty ? nil : inbox
            publish(.resultsWaiting(spawner, count: inbox.count))
        }
        return .finished(result(of: entry))
    }

    /// A result whose entry was trimmed from the listing but still waits in the caller's inbox.
    private func takeTrimmedResult(_ id: TaskID, for caller: Spawner) -> WaitOutcome {
        guard var inbox = inboxes[caller], let index = inbox.firstIndex(where: { $0.id == id }) else { return .notFound }
        let result = inbox.remove(at: index)
        inboxes[caller] = inbox.isEmpty ? nil : inbox
        publish(.resultsWaiting(caller, count: inbox.count))
        return .finished(result)
    }

    private func suspendResultWaiter(_ token: Int) async -> WaitOutcome {
        if let ready = resultWaiters.takeIfResolved(token) { return ready }
        return await withCheckedContinuation { continuation in
            resultWaiters.attach(token, continuation)
        }
    }

    private func expireResultWaiter(_ token: Int, task id: TaskID) {
        guard resultWaiters.isPending(token) else { return }
        resultWaitersByTask[id]?.removeAll { $0 == token }
        if resultWaitersByTask[id]?.isEmpty == true { resultWaitersByTask[id] = nil }
        let outcome: WaitOutcome = entries[id].map { .timedOut(snapshot(of: $0)) } ?? .notFound
        resultWaiters.resolve(token, with: outcome)
    }

    private func suspendIdleWaiter(_ token: Int) async {
        if activeCount == 0 { resolveIdleWaiter(token) }
        if idleWaiters.takeIfResolved(token) != nil { return }
        await withCheckedContinuation { continuation in
            idleWaiters.attach(token, continuation)
        }
    }

    private func resolveIdleWaiter(_ token: Int) {
        idleWaiters.resolve(token, with: ())
    }

    private func resolveIdleWaiterAll() {
        idleWaiters.resolveAll(with: ())
    }

    /// Keeps the last `keepFinished` finished entries listed. A trimmed entry's undelivered
    /// result stays in its spawner's inbox (and `wait` still finds it there).
    private func trimFinished() {
        while finishedOrder.count > configuration.keepFinished, let oldest = finishedOrder.popFirst() {
            guard let entry = entries.removeValue(forKey: oldest) else { continue }
            entry.isListed = false
            unlistedCount += 1
        }
        // Swept in one pass once half is gone: O(1) per trimmed entry on average.
        if unlistedCount > listed.count / 2 {
            listed.removeAll { !$0.isListed }
            unlistedCount = 0
        }
    }

    private func snapshot(of entry: Entry, now: Duration? = nil) -> TaskSnapshot {
        let now = now ?? timeline.now
        return TaskSnapshot(
            id: entry.id, name: entry.request.name, kind: entry.request.kind,
            description: entry.request.description, spawner: entry.request.spawner,
            mode: entry.request.mode, status: entry.status, cancelRequested: entry.cancelRequested,
            startedAt: entry.startedAt, endedAt: entry.endedAt, startDate: entry.startDate,
            age: (entry.endedAt ?? now) - entry.startedAt, trail: entry.trail
        )
    }

    private func publish(_ event: TaskRegistryEvent) {
        hub.publish(event)
    }

    static func describe(_ error: any Error) -> String {
        if let localized = error as? any LocalizedError, let text = localized.errorDescription { return text }
        return String(describing: error)
    }
}

/// What a running task's body can do with its own registry entry.
public struct TaskContext: Sendable {
    /// The task's own id.
    public let id: TaskID
    let registry: TaskRegistry

    /// Moves to a new step and/or activity (e.g. the tool running now).
    public func report(step: Int? = nil, activity: String?) async {
        await registry.report(id, step: step, activity: activity)
    }

    /// Adds a line to the task's progress trail.
    public func note(_ line: String) async {
        await registry.note(id, line)
    }

    /// The spawner value for tasks this task launches.
    public var asSpawner: Spawner { .task(id) }
}
