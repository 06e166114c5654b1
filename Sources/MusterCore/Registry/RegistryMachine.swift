import DequeModule
import Foundation

/// Every entry's state and every rule of the registry, with no concurrency and no effects: each
/// mutating method returns the `RegistryEffect`s that `TaskRegistry` (the actor) carries out.
/// Time comes in as an argument, so tests drive it with plain synchronous calls.
///
/// Entries are classes so that an update changes one in place (see README Decisions); they never
/// leave the machine and its actor, and the machine is never copied.
struct RegistryMachine {
    struct Limits: Sendable {
        var maxBackgroundAgents: Int
        var keepFinished: Int
        var trailLength: Int
        /// Running background shells allowed at once (a cap of their own).
        var maxBackgroundShells: Int = BackgroundShellLimit.defaultValue
        /// Background agents that may wait past the cap (0: a launch at the cap is refused).
        var backgroundQueue = 0
    }

    final class Entry {
        let id: TaskID
        /// Everything its snapshots show but their age and queue place: an immutable box that
        /// every snapshot taken until the next change shares, replaced whole by `update` (so a
        /// snapshot is a few words, and a listing of 100,000 retains boxes instead of copying
        /// about 380 bytes per entry). Trail, usage, step and the rest live only here.
        private(set) var record: TaskSnapshot.Record
        /// What it said and did (bounded), kept while it is listed.
        fileprivate(set) var transcript = AgentTranscript()
        /// The result has been handed to its spawner (drained or waited for).
        fileprivate(set) var delivered = false
        /// The handle of its body while it runs: kept here, never touched here (the actor cancels it).
        fileprivate(set) var body: Task<Void, Never>?
        /// Still listed (false once trimmed; the deque is swept lazily).
        fileprivate(set) var isListed = true
        /// While queued: makes its body once a slot frees (the body does not exist before).
        fileprivate var deferredBody: ((TaskID) -> Task<Void, Never>?)?
        /// `phase.name` and whether it is a background agent or shell, kept beside the record
        /// (set where the record changes): the slot counts' checks on every move read no record.
        private(set) var phaseName: TaskPhase.Name
        private var isBackgroundAgent: Bool
        private var isBackgroundShell: Bool
        /// It has launched a task (so it may have children to stop, or results in an inbox).
        fileprivate(set) var hasLaunched = false
        /// Its agent's interrupt until it ends, told of its pauses, resumes and messages (see
        /// `TaskRegistry.pause`): made with the entry, so its body reads them with no trip to
        /// the actor; here rather than in a table of its own, one lookup fewer.
        fileprivate(set) var interrupt: AgentInterrupt?
        /// Decides between its body's beginning and a stop (nil in tests: the stop decides).
        fileprivate(set) var bodyStart: BodyStart?

        init(id: TaskID, request: TaskRegistry.Request, startedAt: Duration, startDate: Date, phase: TaskPhase = .pending) {
            self.id = id
            self.record = TaskSnapshot.Record(TaskSnapshot.Fields(
                request: request, progress: .phase(phase), startedAt: startedAt, startDate: startDate, trail: [], lastEventAt: startedAt,
                queuedFor: phase == .queued ? nil : .zero
            ))
            phaseName = phase.name
            isBackgroundAgent = request.mode == .background && request.kind == .agent
            isBackgroundShell = request.mode == .background && request.kind == .shell
        }

        /// Changes `record` by replacing it (snapshots keep the one they have): one box per call.
        fileprivate func update(_ change: (inout TaskSnapshot.Fields) -> Void) {
            var fields = record.fields
            change(&fields)
            isBackgroundAgent = fields.request.mode == .background && fields.request.kind == .agent
            isBackgroundShell = fields.request.mode == .background && fields.request.kind == .shell
            record = TaskSnapshot.Record(fields)
        }

        /// Where it is in its life, kept in its record (which snapshots show as status, stop and
        /// end). Changed only by `RegistryMachine.move(_:to:)` (or set at the start), which keeps
        /// the counts derived from it.
        var phase: TaskPhase {
            guard case .phase(let phase) = record.fields.progress else { preconditionFailure("an entry's record holds its phase") }
            return phase
        }

        /// Sets the phase, with `change` in the same new record.
        fileprivate func setPhase(_ next: TaskPhase, _ change: ((inout TaskSnapshot.Fields) -> Void)? = nil) {
            phaseName = next.name
            update { fields in
                fields.progress = .phase(next)
                // Waiting in the queue: its age; once it leaves (started or cancelled), a fixed time.
                fields.queuedFor = next == .queued ? nil : (fields.queuedFor ?? .zero)
                change?(&fields)
            }
        }

        /// Changes only by `moveToBackground` (its mode), which keeps the slot counts.
        var request: TaskRegistry.Request { record.fields.request }
        var startedAt: Duration { record.fields.startedAt }
        var startDate: Date { record.fields.startDate }
        /// At most `trailLength` lines, oldest first.
        var trail: [String] { record.fields.trail }
        /// What its own model and tool calls cost, and what its children's did (at any depth).
        var usage: TaskUsage { record.fields.usage }
        var childrenUsage: TaskUsage { record.fields.childrenUsage }
        /// When it last reported anything (a step, an activity, usage, a transcript line).
        var lastEventAt: Duration { record.fields.lastEventAt ?? record.fields.startedAt }
        /// The latest model step it reached (kept once it ended).
        var step: Int { record.fields.step }

        /// A stopping agent still holds its slot: its work may still burn a core until the body
        /// returns. A paused one does not: it makes no model call until resumed.
        var holdsCapSlot: Bool {
            guard isBackgroundAgent else { return false }
            return switch phaseName {
            case .pending, .running, .stopping: true
            case .ended, .paused, .queued: false
            }
        }

        /// A background shell holds a slot of the shell cap until its processes are gone.
        var holdsShellSlot: Bool {
            isBackgroundShell && phaseName != .ended
        }

        /// Not ended yet (`phase.isActive`, without reading the record).
        var isActive: Bool { phaseName != .ended }
    }

    /// How a body ended, as its wrapper saw it.
    enum BodyOutcome: Sendable {
        case returned(String)
        case threw(any Error)
    }

    /// Why a suspended `wait` is given up.
    enum WaitExpiry { case timedOut, cancelled }

    let limits: Limits
    private(set) var isShuttingDown = false
    private var nextID = 1
    /// Listed entries by id.
    private var entries: [TaskID: Entry] = [:]
    /// The same entries in id order (ids only grow), so listings need no sort; trimmed entries
    /// are skipped and swept out once they are half of it.
    private var listed = Deque<Entry>()
    private var unlistedCount = 0
    /// The tasks each spawner launched that may still be active, in id order (see `Children`).
    private var activeChildren: [Spawner: Children] = [:]
    private var inboxes: [Spawner: Deque<TaskResult>] = [:]
    private var finishedOrder = Deque<TaskID>()
    private var resultWaiters: [TaskID: [Int]] = [:]
    /// Entries not ended, and background agents holding a cap slot: both follow from the
    /// phases and change only in `move(_:to:)`.
    private(set) var activeCount = 0
    private(set) var capSlotsHeld = 0
    /// Unread messages per agent, oldest first.
    private var messages: [TaskID: Deque<AgentMessage>] = [:]
    private var nextMessageNumber = 1
    /// Suspended pause/resume watches per task (`ControlWait`), resolved when the phase gets there.
    private var controlWaiters: [TaskID: [(token: Int, kind: ControlWait)]] = [:]
    private(set) var shellSlotsHeld = 0
    /// Background agents waiting for a slot, oldest first; entries that left the queue (cancelled)
    /// stay in the deque until they reach its front, and `queuedCount` counts only those still queued.
    private var queue = Deque<Entry>()
    private(set) var queuedCount = 0
    /// The handles of bodies that ended in this step, for the caller to drop off the actor (see
    /// `takeEndedBodies`).
    private var endedBodies: [Task<Void, Never>] = []

    init(limits: Limits) {
        self.limits = limits
    }

    // MARK: Starting

    /// The refusal a start would get now, or nil.
    func refusal(mode: TaskMode, kind: TaskKind) -> TaskRegistry.StartRefusal? {
        if isShuttingDown { return .shutDown }
        if mode == .background, kind == .agent, capSlotsHeld >= limits.maxBackgroundAgents {
            if limits.backgroundQueue == 0 { return .capReached(limit: limits.maxBackgroundAgents) }
            if queuedCount >= limits.backgroundQueue {
                return .queueFull(limit: limits.maxBackgroundAgents, queue: limits.backgroundQueue)
            }
        }
        if mode == .background, kind == .shell, shellSlotsHeld >= limits.maxBackgroundShells {
            return .shellCapReached(limit: limits.maxBackgroundShells)
        }
        return nil
    }

    /// Registers a pending entry. The effects include cancelling it at once when its parent is
    /// already stopping or gone (it would otherwise outlive it unsupervised, its result dropped),
    /// so the caller must store the body's handle before carrying them out.
    ///
    /// `makeBody` starts the body of the new id and returns its handle (nil in tests);
    /// `interrupt`: its agent's, kept until it ends and told of its pauses by the actor;
    /// `bodyStart`: what its body and a stop decide with (see `requestStop`).
    mutating func start(
        _ request: TaskRegistry.Request, now: Duration, date: Date, paused: Bool = false, id wanted: TaskID? = nil,
        interrupt: AgentInterrupt? = nil, bodyStart: BodyStart? = nil, makeBody: @escaping (TaskID) -> Task<Void, Never>?, into effects: inout [RegistryEffect]
    ) throws(TaskRegistry.StartRefusal) -> TaskID {
        // A task that starts paused (a restored agent) takes no cap slot, so the cap cannot refuse it.
        if let refusal = refusal(mode: request.mode, kind: request.kind), !(paused && refusal != .shutDown) { throw refusal }
        let id = claimID(wanted)
        // Past the cap (and `refusal` let it through): it waits in the queue, with no body yet.
        // A restored paused agent holds no slot, so it never queues.
        let queues = !paused && request.mode == .background && request.kind == .agent && capSlotsHeld >= limits.maxBackgroundAgents
        let phase: TaskPhase = queues ? .queued : paused && request.kind == .agent ? .paused(step: nil, activity: nil) : .pending
        let entry = Entry(id: id, request: request, startedAt: now, startDate: date, phase: phase)
        entry.interrupt = interrupt
        entry.bodyStart = bodyStart
        if queues {
            entry.deferredBody = makeBody
            queue.append(entry)
            queuedCount += 1
        } else {
            entry.body = makeBody(id)
        }
        entries[id] = entry
        listed.append(entry)
        activeCount += 1
        if entry.holdsCapSlot { capSlotsHeld += 1 }
        if entry.holdsShellSlot { shellSlotsHeld += 1 }
        activeChildren[request.spawner, default: Children()].append(id)
        if paused { effects.append(.log(.paused(id))) }
        // A queued entry is last in line: its place is known without walking the queue.
        let place: [TaskID: Int]? = entry.phase == .queued ? [id: queuedCount] : nil
        effects.append(.publish(.started(snapshot(of: entry, now: now, positions: place))))
        effects.append(.log(.started(id, name: request.name, mode: request.mode)))
        // A restored id may have children listed or results waiting from before its start.
        if wanted != nil { entry.hasLaunched = activeChildren[.task(id)] != nil || inboxes[.task(id)] != nil }
        // A restored paused agent may hang under a restored paused parent. (A switch, not an
        // array of the living phases: that array was allocated on every start.)
        if let parent = request.spawner.taskID {
            entries[parent]?.hasLaunched = true
            let parentLives = switch entries[parent]?.phase.name {
            case .pending?, .running?: true
            case .paused?: paused
            default: false
            }
            if !parentLives { requestStop(entry, source: .parentEnded(parent), now: now, into: &effects) }
        }
        return id
    }

    /// The id of a new entry: `wanted` (an earlier session's id, when restoring) if no entry
    /// has it or a later one yet, since ids only grow in the listing; else the next one.
    private mutating func claimID(_ wanted: TaskID?) -> TaskID {
        if let wanted, wanted.rawValue >= nextID {
            nextID = wanted.rawValue + 1
            return wanted
        }
        defer { nextID += 1 }
        return TaskID(nextID)
    }

    /// Lists a task that ended in an earlier session (`--resume`), under its old id when that is
    /// free (see `claimID`), ended with `status` (as it was, or interrupted). `undelivered`: its result never reached its
    /// spawner, so it goes to the spawner's inbox now (the main agent, or a restored agent that
    /// is still active), to be delivered once; otherwise it counts as delivered.
    mutating func restoreFinished(
        _ task: TaskSnapshot, status: TaskStatus, undelivered: Bool, now: Duration, into effects: inout [RegistryEffect]
    ) -> TaskID {
        let id = claimID(task.id)
        let request = TaskRegistry.Request(
            name: task.name, kind: task.kind, description: task.description, spawner: task.spawner, mode: task.mode,
            stepLimit: task.stepLimit, budget: task.budget
        )
        let entry = Entry(id: id, request: request, startedAt: now - task.age, startDate: task.startDate, phase: .ended(status, at: now))
        let trailLength = limits.trailLength
        entry.update { fields in
            fields.trail = Array(task.trail.suffix(trailLength))
            fields.usage = task.usage
            fields.childrenUsage = task.childrenUsage
            fields.step = task.step
        }
        entry.delivered = true
        entry.hasLaunched = activeChildren[.task(id)] != nil || inboxes[.task(id)] != nil
        if let parent = request.spawner.taskID { entries[parent]?.hasLaunched = true }
        entries[id] = entry
        listed.append(entry)
        effects.append(.publish(.started(snapshot(of: entry, now: now))))
        effects.append(.publish(.finished(snapshot(of: entry, now: now))))
        if undelivered {
            entry.delivered = false
            deliver(entry, now: now, into: &effects)
        }
        finishedOrder.append(id)
        trimFinished()
        return id
    }

    // MARK: The body's own transitions

    /// pending → running, unless a stop came first (then the wrapper ends it without running it).
    mutating func bodyBegins(_ id: TaskID, now: Duration, into effects: inout [RegistryEffect]) -> Bool {
        // Paused before it began: the body runs up to its first model call, which waits.
        if let entry = entries[id], case .paused(nil, let activity) = entry.phase {
            return move(entry, to: .paused(step: 0, activity: activity), into: &effects)
        }
        guard let entry = entries[id], entry.phase == .pending else { return false }
        guard move(entry, to: .running(step: 0, activity: nil), into: &effects) else { return false }
        effects.append(.publish(.updated(snapshot(of: entry, now: now))))
        return true
    }

    /// Records the one terminal state, by id: a late body can never touch another entry. A task
    /// asked to stop always ends cancelled, whatever its body did.
    mutating func bodyEnded(_ id: TaskID, outcome: BodyOutcome, now: Duration, into effects: inout [RegistryEffect]) {
        guard let entry = entries[id], entry.isActive else { return }
        let final: TaskStatus
        if let source = entry.phase.cancelRequested {
            final = .cancelled(by: source)
        } else {
            switch outcome {
            case .returned(let summary):
                final = .completed(summary: summary)
            case .threw(AgentError.budgetExhausted(let reason, let report)):
                final = .budgetExhausted(reason: reason, report: report)
            case .threw(let error as CancellationError):
                final = .failed(error: "interrupted (\(error))")
            case .threw(let error):
                final = .failed(error: TaskRegistry.describe(error))
            }
        }
        finish(entry, final, now: now, into: &effects)
        promoteQueued(now: now, into: &effects)
    }

    /// What bodies posted (`BodyMailbox`), each in turn, in order, in one step; `flush` is
    /// handed the effects every `batch` posts' worth (see `cancelAll`).
    mutating func receive(
        _ posts: [BodyMailbox.Post], now: Duration, into effects: inout [RegistryEffect],
        batch: Int = 64, flush: ((inout [RegistryEffect]) -> Void)? = nil
    ) {
        for post in posts {
            switch post {
            case .began(let id):
                _ = bodyBegins(id, now: now, into: &effects)
            case .report(let id, let step, let activity, let joinsTrail):
                report(id, step: step, activity: activity, joinsTrail: joinsTrail, now: now, into: &effects)
            case .ended(let end):
                bodyEnded(end.id, outcome: end.outcome, now: now, into: &effects)
            }
            if let flush, effects.count >= batch { flush(&effects) }
        }
    }

    /// The handles of the bodies that ended since the last call. A body posts its end and returns,
    /// so the registry's handle is the last reference to its task: dropped in the step, it freed
    /// every ended task's memory on the registry's actor, in the way of the next steps.
    mutating func takeEndedBodies() -> [Task<Void, Never>] {
        guard !endedBodies.isEmpty else { return [] }
        defer { endedBodies = [] }
        return endedBodies
    }

    /// The interrupt of task `id`, until it ends.
    func interrupt(of id: TaskID) -> AgentInterrupt? { entries[id]?.interrupt }

    /// Starts queued agents in launch order while slots are free.
    private mutating func promoteQueued(now: Duration, into effects: inout [RegistryEffect]) {
        while capSlotsHeld < limits.maxBackgroundAgents, !isShuttingDown, let next = queue.popFirst() {
            // Stopped while it waited: it has ended already.
            guard next.phase == .queued else { continue }
            let queuedFor = now - next.startedAt
            guard move(next, to: .pending, into: &effects, { $0.queuedFor = queuedFor }) else { continue }
            let makeBody = next.deferredBody
            next.deferredBody = nil
            next.body = makeBody?(next.id)
            effects.append(.publish(.updated(snapshot(of: next, now: now))))
        }
    }

    /// The one terminal move of an entry, and everything that follows from it.
    private mutating func finish(_ entry: Entry, _ final: TaskStatus, now: Duration, into effects: inout [RegistryEffect]) {
        let id = entry.id
        guard move(entry, to: .ended(final, at: now), into: &effects) else { return }
        if let body = entry.body { endedBodies.append(body) }
        entry.body = nil
        entry.interrupt = nil
        let spawner = entry.request.spawner
        if case .failed(let error) = final { entry.transcript.append("error: \(error)") }
        if let parent = spawner.taskID, let parentEntry = entries[parent], parentEntry.phase.isActive {
            let outcome: String = switch final {
            case .completed(let summary): "completed\n" + AgentTranscript.result(summary, isError: false)
            case .failed(let error): "failed: \(error)"
            default: final.word
            }
            parentEntry.transcript.append("← \(id) \(entry.request.name) \(outcome)")
        }
        if let index = activeChildren.index(forKey: spawner) {
            activeChildren.values[index].active -= 1
            if activeChildren.values[index].active == 0 {
                activeChildren.remove(at: index)
            } else if activeChildren.values[index].needsSweep {
                let entries = self.entries
                activeChildren.values[index].sweep { entries[$0]?.isActive == true }
            }
        }
        effects.append(.publish(.finished(snapshot(of: entry, now: now))))
        effects.append(.log(.ended(id, status: final.word)))
        deliver(entry, now: now, into: &effects)
        // Everything this task launched ends with it. (Lookups skipped when nothing can be
        // found: each hashes, for every end.)
        if entry.hasLaunched {
            cancel(spawnedBy: .task(id), source: .parentEnded(id), now: now, into: &effects)
            if inboxes.removeValue(forKey: .task(id)) != nil {
                effects.append(.publish(.resultsWaiting(.task(id), count: 0)))
            }
        }
        if !messages.isEmpty {
            for message in messages.removeValue(forKey: id) ?? [] {
                effects.append(.publish(.message(AgentMessageEvent(message, .dropped(status: final.word)))))
            }
        }
        resolveControlWaiters(of: id, where: { _ in true }, with: false, into: &effects)
        finishedOrder.append(id)
        trimFinished()
        if activeCount == 0 { effects.append(.resolveIdleWaiters) }
    }

    // MARK: Progress

    /// A new step and/or activity of a running (or stopping, after it ran) task; the activity
    /// joins its trail.
    mutating func report(_ id: TaskID, step: Int?, activity: String?, joinsTrail: Bool = true, now: Duration, into effects: inout [RegistryEffect]) {
        guard let entry = entries[id] else { return }
        let next: TaskPhase
        switch entry.phase {
        case .running(let current, _):
            next = .running(step: step ?? current, activity: activity)
        case .stopping(let source, let current?, _):
            next = .stopping(source, step: step ?? current, activity: activity)
        case .paused(let current?, _):
            next = .paused(step: step ?? current, activity: activity)
        case .pending, .stopping(_, nil, _), .ended, .paused(nil, _), .queued:
            return
        }
        let trailLength = limits.trailLength
        let moved = move(entry, to: next, into: &effects) { fields in
            fields.lastEventAt = now
            if let step { fields.step = step }
            if let activity, joinsTrail { Self.appendTrail(activity, to: &fields.trail, keeping: trailLength) }
        }
        guard moved else { return }
        effects.append(.publish(.updated(snapshot(of: entry, now: now))))
    }

    /// Adds to an active task's own usage and to the children's usage of every task above it;
    /// publishes an update of each active one.
    mutating func recordUsage(_ id: TaskID, _ delta: TaskUsage, now: Duration, into effects: inout [RegistryEffect]) {
        guard let entry = entries[id], entry.phase.isActive else { return }
        entry.update { fields in
            fields.usage += delta
            fields.lastEventAt = now
        }
        effects.append(.publish(.updated(snapshot(of: entry, now: now))))
        var parent = entry.request.spawner.taskID
        while let parentID = parent, let ancestor = entries[parentID] {
            ancestor.update { $0.childrenUsage += delta }
            if ancestor.phase.isActive { effects.append(.publish(.updated(snapshot(of: ancestor, now: now)))) }
            parent = ancestor.request.spawner.taskID
        }
    }

    /// Adds `text` to an active task's transcript; no event.
    mutating func transcribe(_ id: TaskID, _ text: String, now: Duration) {
        guard let entry = entries[id], entry.phase.isActive else { return }
        entry.transcript.append(text)
        entry.update { $0.lastEventAt = now }
    }

    /// The transcript of a listed task.
    func transcript(of id: TaskID) -> AgentTranscript? { entries[id]?.transcript }

    /// Adds a line to an active task's trail; no event.
    mutating func note(_ id: TaskID, _ line: String) {
        guard let entry = entries[id], entry.phase.isActive else { return }
        let trailLength = limits.trailLength
        entry.update { Self.appendTrail(line, to: &$0.trail, keeping: trailLength) }
    }

    // MARK: Moving to the background

    /// A running foreground task goes on as a background one (Ctrl+B): same id, same body; its
    /// result goes to its spawner's inbox when it ends, unless a wait takes it first. Refused
    /// (nil) when it is not an active foreground task, or the cap of its kind is reached.
    mutating func moveToBackground(_ id: TaskID, now: Duration, into effects: inout [RegistryEffect]) -> TaskRegistry.StartRefusal?? {
        guard let entry = entries[id], entry.phase.isActive, entry.phase.cancelRequested == nil,
              entry.request.mode == .foreground else { return .some(nil) }
        if let refusal = refusal(mode: .background, kind: entry.request.kind) { return refusal }
        let heldSlot = entry.holdsCapSlot
        let heldShellSlot = entry.holdsShellSlot
        entry.update { $0.request.mode = .background }
        if heldSlot != entry.holdsCapSlot { capSlotsHeld += entry.holdsCapSlot ? 1 : -1 }
        if heldShellSlot != entry.holdsShellSlot { shellSlotsHeld += entry.holdsShellSlot ? 1 : -1 }
        let moved = snapshot(of: entry, now: now)
        effects.append(.publish(.updated(moved)))
        // Its foreground caller stops waiting at once and goes on; the result goes to the inbox.
        for token in resultWaiters.removeValue(forKey: id) ?? [] {
            effects.append(.resolveWaiter(token: token, .movedToBackground(moved)))
        }
        return nil
    }

    // MARK: Cancelling

    /// pending or running → stopping, and the same for everything it launched; idempotent.
    @discardableResult
    mutating func cancel(_ id: TaskID, source: CancellationSource, now: Duration, into effects: inout [RegistryEffect]) -> TaskRegistry.CancelOutcome {
        guard let entry = entries[id] else { return .notFound }
        return cancel(entry, source: source, now: now, into: &effects)
    }

    /// The model-facing variant: only the task's own spawner may cancel it.
    mutating func cancel(_ id: TaskID, requestedBy caller: Spawner, now: Duration, into effects: inout [RegistryEffect]) -> TaskRegistry.CancelOutcome {
        guard let entry = entries[id] else { return .notFound }
        guard entry.request.spawner == caller else { return .forbidden }
        return cancel(entry, source: .spawner, now: now, into: &effects)
    }


    /// Cancels every active task; returns their ids (stopping ones included).
    ///
    /// `flush`, when given, is handed the effects every `batch` tasks, to carry them out and
    /// empty the array (in the same isolated step, so in the same order and as atomic): an effect
    /// holds a whole snapshot inline, so 100,000 stops gathered first made an array of 300,000
    /// (over 100 MB, grown by doubling and copying, in fresh pages).
    mutating func cancelAll(
        source: CancellationSource, now: Duration, into effects: inout [RegistryEffect],
        batch: Int = 64, flush: ((inout [RegistryEffect]) -> Void)? = nil
    ) -> [TaskID] {
        let active = activeEntries()
        var ids: [TaskID] = []
        ids.reserveCapacity(active.count)
        for entry in active {
            requestStop(entry, source: source, now: now, into: &effects)
            ids.append(entry.id)
            if let flush, effects.count >= batch { flush(&effects) }
        }
        return ids
    }

    /// Refuses every later start and cancels everything; returns the entries that were active
    /// (held by reference: they may be trimmed while shutdown waits, and the report counts them all).
    mutating func beginShutdown(now: Duration) -> (wasActive: [Entry], effects: [RegistryEffect]) {
        var effects: [RegistryEffect] = []
        let active = beginShutdown(now: now, into: &effects)
        return (active, effects)
    }

    /// The same, handing `flush` the effects every `batch` tasks (see `cancelAll`).
    mutating func beginShutdown(
        now: Duration, into effects: inout [RegistryEffect], batch: Int = 64, flush: ((inout [RegistryEffect]) -> Void)? = nil
    ) -> [Entry] {
        isShuttingDown = true
        let active = activeEntries()
        for entry in active {
            requestStop(entry, source: .shutdown, now: now, into: &effects)
            if let flush, effects.count >= batch { flush(&effects) }
        }
        return active
    }

    /// The listed active entries in id order. Appended one by one: `Array(deque)` of an empty
    /// deque writes into the shared empty-array storage, which the thread sanitizer reports as a
    /// race between two registries shutting down at once.
    private func activeEntries() -> [Entry] {
        var active: [Entry] = []
        for entry in listed where entry.isListed && entry.phase.isActive { active.append(entry) }
        return active
    }

    // MARK: Pausing and resuming

    /// What a pause or resume watch waits for.
    enum ControlWait: Sendable { case paused, resumed }

    /// running or pending → paused: the body's in-flight model request is cancelled (its pause
    /// watch resolves) and its next one waits; tool calls under way finish. Agents only.
    mutating func pause(_ id: TaskID, now: Duration, into effects: inout [RegistryEffect]) -> TaskRegistry.PauseOutcome {
        guard let entry = entries[id] else { return .notFound }
        let next: TaskPhase
        switch entry.phase {
        case _ where entry.request.kind != .agent: return .notPausable(snapshot(of: entry, now: now))
        case .pending: next = .paused(step: nil, activity: nil)
        case .running(let step, let activity): next = .paused(step: step, activity: activity)
        case .paused: return .alreadyPaused(snapshot(of: entry, now: now))
        case .stopping, .ended, .queued: return .notPausable(snapshot(of: entry, now: now))
        }
        guard move(entry, to: next, into: &effects) else { return .notPausable(snapshot(of: entry, now: now)) }
        effects.append(.publish(.updated(snapshot(of: entry, now: now))))
        effects.append(.log(.paused(id)))
        resolveControlWaiters(of: id, where: { $0 == .paused }, with: true, into: &effects)
        // Its slot is free now: the next queued agent takes it.
        promoteQueued(now: now, into: &effects)
        return .paused(snapshot(of: entry, now: now))
    }

    /// paused → running (or pending, if its body had not begun), unless it would take a cap
    /// slot when none is free.
    mutating func resume(_ id: TaskID, now: Duration, into effects: inout [RegistryEffect]) -> TaskRegistry.PauseOutcome {
        guard let entry = entries[id] else { return .notFound }
        guard case .paused(let step, let activity) = entry.phase else { return .notPaused(snapshot(of: entry, now: now)) }
        if let refusal = refusal(mode: entry.request.mode, kind: entry.request.kind) {
            return .refused(refusal, snapshot(of: entry, now: now))
        }
        // With a queue, `refusal` lets a launch through at the cap (it would wait): a resume
        // does not queue, it needs a free slot now.
        if entry.request.mode == .background, capSlotsHeld >= limits.maxBackgroundAgents {
            return .refused(.capReached(limit: limits.maxBackgroundAgents), snapshot(of: entry, now: now))
        }
        let next: TaskPhase = step.map { .running(step: $0, activity: activity) } ?? .pending
        guard move(entry, to: next, into: &effects, { $0.lastEventAt = now }) else { return .notPaused(snapshot(of: entry, now: now)) }
        effects.append(.publish(.updated(snapshot(of: entry, now: now))))
        effects.append(.log(.resumed(id)))
        resolveControlWaiters(of: id, where: { $0 == .resumed }, with: true, into: &effects)
        return .resumed(snapshot(of: entry, now: now))
    }

    /// Pauses every running or pending agent; returns their ids.
    mutating func pauseAll(now: Duration, into effects: inout [RegistryEffect]) -> [TaskID] {
        activeEntries().filter { [.running, .pending].contains($0.phase.name) && $0.request.kind == .agent }.compactMap { entry in
            if case .paused = pause(entry.id, now: now, into: &effects) { entry.id } else { nil }
        }
    }

    /// Resumes every paused agent, oldest first, while the cap allows; returns those resumed and
    /// those refused (with the refusal).
    mutating func resumeAll(now: Duration, into effects: inout [RegistryEffect]) -> (resumed: [TaskID], refused: [TaskID], refusal: TaskRegistry.StartRefusal?) {
        var resumed: [TaskID] = [], refused: [TaskID] = []
        var refusal: TaskRegistry.StartRefusal?
        for entry in activeEntries() where entry.phase.name == .paused {
            switch resume(entry.id, now: now, into: &effects) {
            case .resumed: resumed.append(entry.id)
            case .refused(let why, _):
                refused.append(entry.id)
                refusal = why
            default: break
            }
        }
        return (resumed, refused, refusal)
    }

    /// The answer to a pause or resume watch that needs no waiting (true: it is there; false:
    /// it will never get there), or nil: the caller must suspend (`addControlWaiter`).
    func controlAnswer(_ id: TaskID, waitingFor kind: ControlWait) -> Bool? {
        guard let phase = entries[id]?.phase else { return false }
        switch (phase.name, kind) {
        case (.paused, .paused): return true
        case (.paused, .resumed): return nil
        case (.running, .paused), (.pending, .paused): return nil
        case (.running, .resumed), (.pending, .resumed): return true
        default: return false
        }
    }

    mutating func addControlWaiter(_ token: Int, for id: TaskID, waitingFor kind: ControlWait) {
        controlWaiters[id, default: []].append((token, kind))
    }

    /// Gives up a watch still suspended (its caller was cancelled); no effect once resolved.
    mutating func expireControlWaiter(_ token: Int, for id: TaskID) -> [RegistryEffect] {
        guard var waiters = controlWaiters[id], let index = waiters.firstIndex(where: { $0.token == token }) else { return [] }
        waiters.remove(at: index)
        controlWaiters[id] = waiters.isEmpty ? nil : waiters
        return [.resolveControlWaiter(token: token, false)]
    }

    private mutating func resolveControlWaiters(of id: TaskID, where matches: (ControlWait) -> Bool, with value: Bool, into effects: inout [RegistryEffect]) {
        guard !controlWaiters.isEmpty, let waiters = controlWaiters[id] else { return }
        let (resolved, kept) = (waiters.filter { matches($0.kind) }, waiters.filter { !matches($0.kind) })
        controlWaiters[id] = kept.isEmpty ? nil : kept
        for waiter in resolved { effects.append(.resolveControlWaiter(token: waiter.token, value)) }
    }

    // MARK: Messages

    /// Queues `text` for agent `id` (read before its next model call). `caller`, when given,
    /// must be the agent's spawner (the model-facing variant). A stopping or ended agent, or a
    /// task that is not an agent, refuses it; a paused one keeps it until it resumes.
    mutating func sendMessage(
        _ text: String, to id: TaskID, from sender: MessageSender, requestedBy caller: Spawner?,
        now: Duration, into effects: inout [RegistryEffect]
    ) -> TaskRegistry.MessageOutcome {
        guard let entry = entries[id] else { return .notFound }
        if let caller, entry.request.spawner != caller { return .forbidden }
        guard entry.request.kind == .agent, [.pending, .running, .paused].contains(entry.phase.name) else {
            return .refused(snapshot(of: entry, now: now))
        }
        let message = AgentMessage(number: nextMessageNumber, taskID: id, taskName: entry.request.name, sender: sender, text: text)
        nextMessageNumber += 1
        let ahead = messages[id]?.count ?? 0
        messages[id, default: []].append(message)
        effects.append(.publish(.message(AgentMessageEvent(message, .queued(ahead: ahead)))))
        return .queued(message, ahead: ahead, snapshot(of: entry, now: now))
    }

    /// Takes every unread message of agent `id`, oldest first; each is read once.
    mutating func takeMessages(_ id: TaskID, into effects: inout [RegistryEffect]) -> [AgentMessage] {
        guard let inbox = messages.removeValue(forKey: id) else { return [] }
        for message in inbox { effects.append(.publish(.message(AgentMessageEvent(message, .read)))) }
        if let entry = entries[id] { for message in inbox { entry.transcript.append("← message: \(message.text)") } }
        return Array(inbox)
    }

    func unreadMessageCount(_ id: TaskID) -> Int { messages[id]?.count ?? 0 }

    // MARK: Results

    /// Takes every finished background result waiting for `spawner`, oldest first; each is delivered once.
    mutating func drainResults(for spawner: Spawner) -> ([TaskResult], [RegistryEffect]) {
        guard let inbox = inboxes.removeValue(forKey: spawner), !inbox.isEmpty else { return ([], []) }
        for result in inbox { entries[result.id]?.delivered = true }
        return (Array(inbox), [.publish(.resultsWaiting(spawner, count: 0))])
    }

    func pendingResultCount(for spawner: Spawner) -> Int {
        inboxes[spawner]?.count ?? 0
    }

    /// The answer to a `wait` that needs no waiting, or nil: the task is still active and the
    /// caller must suspend (`addWaiter`).
    mutating func answerWait(for id: TaskID, requestedBy caller: Spawner, now: Duration) -> (TaskRegistry.WaitOutcome?, [RegistryEffect]) {
        guard let entry = entries[id] else { return takeTrimmedResult(id, for: caller) }
        guard entry.request.spawner == caller else { return (.forbidden, []) }
        guard entry.phase.isActive else { return takeResult(of: entry, now: now) }
        return (nil, [])
    }

    /// Registers a suspended wait for an active task; its end resolves `token`.
    mutating func addWaiter(_ token: Int, for id: TaskID) {
        resultWaiters[id, default: []].append(token)
    }

    /// Suspended waits, over every task.
    var waiterCount: Int { resultWaiters.values.reduce(0) { $0 + $1.count } }

    /// Gives up a wait that is still suspended (no effect once its result came).
    mutating func expireWaiter(_ token: Int, for id: TaskID, because expiry: WaitExpiry, now: Duration) -> [RegistryEffect] {
        guard var tokens = resultWaiters[id], let index = tokens.firstIndex(of: token) else { return [] }
        tokens.remove(at: index)
        resultWaiters[id] = tokens.isEmpty ? nil : tokens
        let outcome: TaskRegistry.WaitOutcome
        switch expiry {
        case .cancelled: outcome = .cancelled
        case .timedOut: outcome = entries[id].map { .timedOut(snapshot(of: $0, now: now)) } ?? .notFound
        }
        return [.resolveWaiter(token: token, outcome)]
    }

    // MARK: Reading

    /// Every listed entry in id order.
    func snapshot(now: Duration) -> [TaskSnapshot] {
        var snapshots: [TaskSnapshot] = []
        snapshots.reserveCapacity(listed.count - unlistedCount)
        let positions = queuePositions()
        for entry in listed where entry.isListed { snapshots.append(snapshot(of: entry, now: now, positions: positions)) }
        return snapshots
    }

    /// At most `limit` listed entries in id order from `first` on, and how many are listed in
    /// all: found by binary search (ids only grow along `listed`), so the cost is the window's,
    /// not the total's.
    func snapshot(from first: TaskID, limit: Int, now: Duration) -> (rows: [TaskSnapshot], total: Int) {
        var low = 0
        var high = listed.count
        while low < high {
            let middle = (low + high) / 2
            if listed[middle].id < first { low = middle + 1 } else { high = middle }
        }
        var rows: [TaskSnapshot] = []
        rows.reserveCapacity(min(max(0, limit), listed.count - low))
        var index = low
        while index < listed.count, rows.count < limit {
            if listed[index].isListed { rows.append(snapshot(of: listed[index], now: now)) }
            index += 1
        }
        return (rows, listed.count - unlistedCount)
    }

    /// The place of every queued entry in the queue (1 starts next), in one pass.
    private func queuePositions() -> [TaskID: Int] {
        guard queuedCount > 0 else { return [:] }
        var positions: [TaskID: Int] = [:]
        positions.reserveCapacity(queuedCount)
        for entry in queue where entry.phase == .queued { positions[entry.id] = positions.count + 1 }
        return positions
    }

    func snapshot(of id: TaskID, now: Duration) -> TaskSnapshot? {
        entries[id].map { snapshot(of: $0, now: now) }
    }

    /// Listed entries that have not ended.
    func activeSnapshots(now: Duration) -> [TaskSnapshot] {
        listed.filter { $0.isListed && $0.phase.isActive }.map { snapshot(of: $0, now: now) }
    }

    func snapshot(of entry: Entry, now: Duration, positions: [TaskID: Int]? = nil) -> TaskSnapshot {
        // The record read once: each read of a class's `var` is an access checked at run time.
        let record = entry.record
        var position = 0
        if record.fields.progress.isQueued {
            position = positions?[entry.id] ?? 0
            if positions == nil {
                for waiting in queue where waiting.phase == .queued {
                    position += 1
                    if waiting === entry { break }
                }
            }
        }
        return TaskSnapshot(
            id: entry.id, record: record, age: (record.fields.progress.endedAt ?? now) - record.fields.startedAt, queuePosition: position
        )
    }

    /// The phase of a listed entry (for tests).
    func phase(of id: TaskID) -> TaskPhase? { entries[id]?.phase }

    /// Recounts what the machine keeps as counts; nil if they agree with the phases (for tests).
    func invariantViolation() -> String? {
        let live = listed.filter(\.isListed)
        let active = live.filter { $0.phase.isActive }.count
        let slots = live.filter(\.holdsCapSlot).count
        if active != activeCount { return "activeCount \(activeCount), recounted \(active)" }
        if slots != capSlotsHeld { return "capSlotsHeld \(capSlotsHeld), recounted \(slots)" }
        let shells = live.filter(\.holdsShellSlot).count
        if shells != shellSlotsHeld { return "shellSlotsHeld \(shellSlotsHeld), recounted \(shells)" }
        let queued = live.filter { $0.phase == .queued }.count
        if queued != queuedCount { return "queuedCount \(queuedCount), recounted \(queued)" }
        if live.count != entries.count { return "listed \(live.count), entries \(entries.count)" }
        return nil
    }

    // MARK: Internals

    /// The one place a phase changes; refuses (and reports) what the table does not allow.
    @discardableResult
    private mutating func move(
        _ entry: Entry, to next: TaskPhase, into effects: inout [RegistryEffect], _ change: ((inout TaskSnapshot.Fields) -> Void)? = nil
    ) -> Bool {
        let from = entry.phaseName
        let to = next.name
        guard TaskPhase.canMove(from: from, to: to) else {
            assertionFailure("illegal task transition \(from) → \(to) of \(entry.id)")
            effects.append(.log(.illegalTransition(entry.id, from: from, to: to)))
            return false
        }
        let heldSlot = entry.holdsCapSlot
        let heldShellSlot = entry.holdsShellSlot
        entry.setPhase(next, change)
        if (from == .ended) != (to == .ended) { activeCount += to == .ended ? -1 : 1 }
        if (from == .queued) != (to == .queued) { queuedCount += from == .queued ? -1 : 1 }
        if heldSlot != entry.holdsCapSlot { capSlotsHeld += entry.holdsCapSlot ? 1 : -1 }
        if heldShellSlot != entry.holdsShellSlot { shellSlotsHeld += entry.holdsShellSlot ? 1 : -1 }
        return true
    }

    @discardableResult
    private mutating func cancel(_ entry: Entry, source: CancellationSource, now: Duration, into effects: inout [RegistryEffect]) -> TaskRegistry.CancelOutcome {
        requestStop(entry, source: source, now: now, into: &effects)
            ? .cancelling(snapshot(of: entry, now: now)) : .alreadyFinished(snapshot(of: entry, now: now))
    }

    /// The stop itself: true when a stop was requested (now or earlier), false when it had
    /// ended. Makes no snapshot for its caller: `cancelAll` of 100,000 tasks made (and dropped)
    /// one per task here, besides the one its `updated` event carries.
    @discardableResult
    private mutating func requestStop(_ entry: Entry, source: CancellationSource, now: Duration, into effects: inout [RegistryEffect]) -> Bool {
        let next: TaskPhase
        switch entry.phase {
        case .ended:
            return false
        case .stopping:
            return true
        case .queued:
            // It never started and never will: it ends now, without a body to wait for.
            entry.deferredBody = nil
            effects.append(.log(.cancelRequested(entry.id, source)))
            finish(entry, .cancelled(by: source), now: now, into: &effects)
            return true
        case .pending:
            // Its body may have begun and posted so, not yet taken in: then it is recorded
            // running first, as it is (its body runs, and is cancelled like any running one).
            if entry.bodyStart?.stop() == false, bodyBegins(entry.id, now: now, into: &effects),
               case .running(let step, let activity) = entry.phase {
                next = .stopping(source, step: step, activity: activity)
            } else {
                next = .stopping(source, step: nil, activity: nil)
            }
        case .running(let step, let activity):
            next = .stopping(source, step: step, activity: activity)
        case .paused(let step, let activity):
            // Paused before its body began: a body that has not begun yet never will.
            if step == nil { _ = entry.bodyStart?.stop() }
            next = .stopping(source, step: step, activity: activity)
        }
        guard move(entry, to: next, into: &effects) else { return false }
        effects.append(.cancelBody(entry.id, entry.body))
        effects.append(.publish(.updated(snapshot(of: entry, now: now))))
        effects.append(.log(.cancelRequested(entry.id, source)))
        if entry.hasLaunched { cancel(spawnedBy: .task(entry.id), source: .parentEnded(entry.id), now: now, into: &effects) }
        return true
    }

    /// Cancels every active task launched by `spawner` (and, transitively, theirs).
    @discardableResult
    mutating func cancel(spawnedBy spawner: Spawner, source: CancellationSource, now: Duration, into effects: inout [RegistryEffect]) -> [TaskID] {
        // Most tasks launched nothing: no array (this runs for every ended task).
        guard let children = activeChildren[spawner] else { return [] }
        var cancelled: [TaskID] = []
        for child in children.ids {
            // An ended child not swept yet answers false.
            guard let entry = entries[child], entry.isActive else { continue }
            if requestStop(entry, source: source, now: now, into: &effects) { cancelled.append(child) }
        }
        return cancelled
    }

    private static func appendTrail(_ line: String, to trail: inout [String], keeping length: Int) {
        trail.append(line)
        if trail.count > length { trail.removeFirst(trail.count - length) }
    }

    private func result(of entry: Entry, now: Duration) -> TaskResult {
        TaskResult(
            id: entry.id, name: entry.request.name, description: entry.request.description,
            status: entry.phase.status, duration: (entry.phase.endedAt ?? now) - entry.startedAt,
            trail: entry.trail
        )
    }

    /// Hands a finished result to a suspended `wait`, else (background only) to the spawner's inbox.
    private mutating func deliver(_ entry: Entry, now: Duration, into effects: inout [RegistryEffect]) {
        let spawner = entry.request.spawner
        if !resultWaiters.isEmpty, let tokens = resultWaiters.removeValue(forKey: entry.id), let first = tokens.first {
            entry.delivered = true
            effects.append(.resolveWaiter(token: first, .finished(result(of: entry, now: now))))
            for token in tokens.dropFirst() {
                effects.append(.resolveWaiter(token: token, .alreadyDelivered(snapshot(of: entry, now: now))))
            }
            return
        }
        // Foreground results go to whoever waits for them, never to an inbox.
        guard entry.request.mode == .background else { return }
        // A spawner that already ended will never drain its inbox: drop the result.
        if let parent = spawner.taskID, entries[parent]?.phase.isActive != true { return }
        inboxes[spawner, default: []].append(result(of: entry, now: now))
        effects.append(.publish(.resultsWaiting(spawner, count: inboxes[spawner]?.count ?? 0)))
    }

    private mutating func takeResult(of entry: Entry, now: Duration) -> (TaskRegistry.WaitOutcome, [RegistryEffect]) {
        if entry.delivered { return (.alreadyDelivered(snapshot(of: entry, now: now)), []) }
        entry.delivered = true
        let spawner = entry.request.spawner
        var effects: [RegistryEffect] = []
        if var inbox = inboxes[spawner], let index = inbox.firstIndex(where: { $0.id == entry.id }) {
            inbox.remove(at: index)
            inboxes[spawner] = inbox.isEmpty ? nil : inbox
            effects.append(.publish(.resultsWaiting(spawner, count: inbox.count)))
        }
        return (.finished(result(of: entry, now: now)), effects)
    }

    /// A result whose entry was trimmed from the listing but still waits in the caller's inbox.
    private mutating func takeTrimmedResult(_ id: TaskID, for caller: Spawner) -> (TaskRegistry.WaitOutcome, [RegistryEffect]) {
        guard var inbox = inboxes[caller], let index = inbox.firstIndex(where: { $0.id == id }) else { return (.notFound, []) }
        let result = inbox.remove(at: index)
        inboxes[caller] = inbox.isEmpty ? nil : inbox
        return (.finished(result), [.publish(.resultsWaiting(caller, count: inbox.count))])
    }

    /// Keeps the last `keepFinished` finished entries listed. A trimmed entry's undelivered
    /// result stays in its spawner's inbox (and `wait` still finds it there).
    private mutating func trimFinished() {
        while finishedOrder.count > limits.keepFinished, let oldest = finishedOrder.popFirst() {
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
}
