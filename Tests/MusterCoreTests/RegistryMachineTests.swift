import Foundation
@testable import MusterCore
import Testing

/// The registry's state machine on its own: plain synchronous calls, no tasks, no clock.
@Suite("Registry state machine")
struct RegistryMachineTests {
    static func machine(cap: Int = 2, keepFinished: Int = 50) -> RegistryMachine {
        RegistryMachine(limits: .init(maxBackgroundAgents: cap, keepFinished: keepFinished, trailLength: 3))
    }

    static let t0 = Duration.zero

    /// Starts and runs a task; fails the test on a refusal.
    static func running(_ request: TaskRegistry.Request, in machine: inout RegistryMachine) throws -> TaskID {
        let (id, _) = try machine.start(request, now: t0, date: Date())
        #expect(machine.bodyBegins(id, now: t0).run)
        return id
    }

    static func published(_ effects: [RegistryEffect]) -> [TaskRegistryEvent] {
        effects.compactMap { if case .publish(let event) = $0 { event } else { nil } }
    }

    static func cancelled(_ effects: [RegistryEffect]) -> [TaskID] {
        effects.compactMap { if case .cancelBody(let id, _) = $0 { id } else { nil } }
    }

    static func resolved(_ effects: [RegistryEffect]) -> [Int: TaskRegistry.WaitOutcome] {
        var result: [Int: TaskRegistry.WaitOutcome] = [:]
        for case .resolveWaiter(let token, let outcome) in effects { result[token] = outcome }
        return result
    }

    @Test("The transition table: pending and running go anywhere but back to pending or the queue; paused also back to pending (its resume before it began); stopping only to itself or ended; queued only starts or ends; ended never changes",
          arguments: TaskPhase.Name.allCases, TaskPhase.Name.allCases)
    func transitionTable(from: TaskPhase.Name, to: TaskPhase.Name) {
        let legal: Set<String> = [
            "pending→running", "pending→stopping", "pending→ended",
            "running→running", "running→stopping", "running→ended",
            "stopping→stopping", "stopping→ended",
            "pending→paused", "running→paused",
            "paused→paused", "paused→running", "paused→pending", "paused→stopping", "paused→ended",
            "queued→pending", "queued→ended",
        ]
        #expect(TaskPhase.canMove(from: from, to: to) == legal.contains("\(from)→\(to)"))
    }

    @Test("Starts within the cap are admitted; the next background agent is refused; shells and foreground agents do not count")
    func capOnStart() throws {
        var machine = Self.machine(cap: 2)
        let (first, effects) = try machine.start(.background(), now: Self.t0, date: Date())
        #expect(Self.published(effects).first == .started(try #require(machine.snapshot(of: first, now: Self.t0))))
        _ = try machine.start(.background(), now: Self.t0, date: Date())
        #expect(machine.capSlotsHeld == 2)
        #expect(throws: TaskRegistry.StartRefusal.capReached(limit: 2)) { _ = try machine.start(.background(), now: Self.t0, date: Date()) }
        #expect(machine.refusal(mode: .background, kind: .agent) == .capReached(limit: 2))
        _ = try machine.start(.background("sh", kind: .shell), now: Self.t0, date: Date())
        _ = try machine.start(.foreground(), now: Self.t0, date: Date())
        #expect(machine.capSlotsHeld == 2)
        #expect(machine.activeCount == 4)
        #expect(machine.invariantViolation() == nil)
    }

    @Test("Cancel moves to stopping, cancels the body once, and keeps the cap slot until the body ends cancelled")
    func stoppingKeepsSlot() throws {
        var machine = Self.machine(cap: 1)
        let id = try Self.running(.background(), in: &machine)
        _ = machine.report(id, step: 2, activity: "grep", now: .seconds(1))
        let (outcome, effects) = machine.cancel(id, source: .user, now: .seconds(2))
        guard case .cancelling(let snapshot) = outcome else { Issue.record("expected .cancelling"); return }
        #expect(snapshot.statusWord == "stopping")
        #expect(snapshot.status == .running(step: 2, activity: "grep"))
        #expect(Self.cancelled(effects) == [id])
        #expect(machine.phase(of: id) == .stopping(.user, step: 2, activity: "grep"))

        let (again, more) = machine.cancel(id, source: .spawner, now: .seconds(3))
        guard case .cancelling = again else { Issue.record("expected .cancelling"); return }
        #expect(more.isEmpty, "a second cancel changes nothing")

        // Still reporting while it ends; still holding its slot.
        #expect(Self.published(machine.report(id, step: nil, activity: "cleaning up", now: .seconds(3))).count == 1)
        #expect(machine.capSlotsHeld == 1)
        #expect(machine.refusal(mode: .background, kind: .agent) == .capReached(limit: 1))

        // The body returns a value anyway: it still ends cancelled, and the slot is free.
        let ended = machine.bodyEnded(id, outcome: .returned("done"), now: .seconds(4))
        #expect(Self.published(ended).first == .finished(try #require(machine.snapshot(of: id, now: .seconds(9)))))
        #expect(machine.snapshot(of: id, now: .seconds(9))?.status == .cancelled(by: .user))
        #expect(machine.snapshot(of: id, now: .seconds(9))?.age == .seconds(4))
        #expect(machine.capSlotsHeld == 0)
        #expect(ended.contains(.resolveIdleWaiters))
        #expect(machine.invariantViolation() == nil)
    }

    @Test("A task cancelled while pending never runs its body and ends cancelled")
    func cancelPending() throws {
        var machine = Self.machine()
        let (id, _) = try machine.start(.background(), now: Self.t0, date: Date())
        _ = machine.cancel(id, source: .user, now: Self.t0)
        #expect(machine.snapshot(of: id, now: Self.t0)?.status == .pending)
        #expect(machine.snapshot(of: id, now: Self.t0)?.isStopping == true)
        #expect(!machine.bodyBegins(id, now: Self.t0).run)
        _ = machine.bodyEnded(id, outcome: .threw(CancellationError()), now: Self.t0)
        #expect(machine.snapshot(of: id, now: Self.t0)?.status == .cancelled(by: .user))
        #expect(machine.report(id, step: nil, activity: "late", now: Self.t0).isEmpty)
    }

    @Test("Cancelling a parent cascades to its children, and to a child started after the parent began stopping")
    func cascade() throws {
        var machine = Self.machine(cap: 5)
        let parent = try Self.running(.background(), in: &machine)
        let child = try Self.running(.background(spawner: .task(parent)), in: &machine)
        let grandchild = try Self.running(.background(spawner: .task(child)), in: &machine)
        let (_, effects) = machine.cancel(parent, source: .user, now: Self.t0)
        #expect(Self.cancelled(effects) == [parent, child, grandchild])
        #expect(machine.phase(of: child) == .stopping(.parentEnded(parent), step: 0, activity: nil))
        #expect(machine.phase(of: grandchild) == .stopping(.parentEnded(child), step: 0, activity: nil))

        let (late, lateEffects) = try machine.start(.background(spawner: .task(parent)), now: Self.t0, date: Date())
        #expect(Self.cancelled(lateEffects).contains(late))
        #expect(machine.phase(of: late) == .stopping(.parentEnded(parent), step: nil, activity: nil))
    }

    @Test("cancelAll stops each active task once (a tree, one already stopping, one queued, one ended), publishes one update per stop and returns every active id; a restored paused child of a paused parent is not cancelled at its start")
    func cancelAllOverATree() throws {
        var machine = RegistryMachine(limits: .init(maxBackgroundAgents: 3, keepFinished: 50, trailLength: 3, backgroundQueue: 5))
        let parent = try Self.running(.background(), in: &machine)
        let child = try Self.running(.background(spawner: .task(parent)), in: &machine)
        let stopping = try Self.running(.background(), in: &machine)
        let (queued, _) = try machine.start(.background(), now: Self.t0, date: Date())
        #expect(machine.phase(of: queued) == .queued)
        let ended = try Self.running(.foreground(), in: &machine)
        _ = machine.bodyEnded(ended, outcome: .returned("done"), now: Self.t0)
        _ = machine.cancel(stopping, source: .user, now: Self.t0)

        var effects: [RegistryEffect] = []
        let ids = machine.cancelAll(source: .user, now: Self.t0, into: &effects)
        #expect(ids == [parent, child, stopping, queued])
        // Each stop once: the child through its parent's cascade, not a second time by cancelAll.
        #expect(Self.cancelled(effects) == [parent, child])
        let updates = Self.published(effects).compactMap { if case .updated(let task) = $0 { task.id } else { nil } }
        #expect(updates == [parent, child])
        #expect(Self.published(effects).contains { if case .finished(let task) = $0 { task.id == queued } else { false } })
        #expect(machine.phase(of: child) == .stopping(.parentEnded(parent), step: 0, activity: nil))
        #expect(machine.phase(of: stopping) == .stopping(.user, step: 0, activity: nil))
        #expect(machine.invariantViolation() == nil)

        var restored = Self.machine(cap: 2)
        var startEffects: [RegistryEffect] = []
        let pausedParent = try restored.start(.background(), now: Self.t0, date: Date(), paused: true, makeBody: { _ in nil }, into: &startEffects)
        let pausedChild = try restored.start(.background(spawner: .task(pausedParent)), now: Self.t0, date: Date(), paused: true, makeBody: { _ in nil }, into: &startEffects)
        #expect(restored.phase(of: pausedChild) == .paused(step: nil, activity: nil))
        #expect(Self.cancelled(startEffects).isEmpty)
    }

    @Test("A parent that ends cancels what it launched and drops its undrained inbox")
    func parentEndCascades() throws {
        var machine = Self.machine(cap: 5)
        let parent = try Self.running(.background(), in: &machine)
        let done = try Self.running(.background(spawner: .task(parent)), in: &machine)
        let child = try Self.running(.background(spawner: .task(parent)), in: &machine)
        _ = machine.bodyEnded(done, outcome: .returned("A"), now: Self.t0)
        #expect(machine.pendingResultCount(for: .task(parent)) == 1)
        let effects = machine.bodyEnded(parent, outcome: .returned("P"), now: Self.t0)
        #expect(Self.cancelled(effects).contains(child))
        #expect(Self.published(effects).contains(.resultsWaiting(.task(parent), count: 0)))
        #expect(machine.pendingResultCount(for: .task(parent)) == 0)
        // The child's result has nobody to go to.
        _ = machine.bodyEnded(child, outcome: .threw(CancellationError()), now: Self.t0)
        #expect(machine.pendingResultCount(for: .task(parent)) == 0)
        #expect(machine.activeCount == 0)
    }

    @Test("A parent whose ended children outnumber its active ones still stops exactly the active ones, in id order, when it ends")
    func childrenListSweptOnTheWay() throws {
        var machine = Self.machine(cap: 200)
        let parent = try Self.running(.background(), in: &machine)
        let children = try (0..<60).map { _ in try Self.running(.background(spawner: .task(parent)), in: &machine) }
        // 46 of the first 50 end: the ended ones soon outnumber the active ones enough for the
        // list to be swept on the way.
        let ended = Set(children.prefix(50).enumerated().filter { $0.offset % 10 != 0 || $0.offset == 0 }.map(\.element))
        for child in children where ended.contains(child) {
            _ = machine.bodyEnded(child, outcome: .returned("done"), now: Self.t0)
        }
        #expect(machine.invariantViolation() == nil)
        let effects = machine.bodyEnded(parent, outcome: .returned("P"), now: Self.t0)
        #expect(Self.cancelled(effects) == children.filter { !ended.contains($0) })
        #expect(machine.invariantViolation() == nil)
    }

    @Test("Ends recorded together give each task the effects of its own end, in the order posted")
    func bodiesEndedTogether() throws {
        var machine = Self.machine(cap: 10)
        let ids = try (0..<5).map { _ in try Self.running(.background(), in: &machine) }
        var one = Self.machine(cap: 10)
        for _ in ids { _ = try Self.running(.background(), in: &one) }
        var together: [RegistryEffect] = []
        var flushed: [RegistryEffect] = []
        let ends = ids.reversed().map { BodyMailbox.End(id: $0, outcome: .returned("done \($0)")) }
        machine.receive(ends.map(BodyMailbox.Post.ended), now: .seconds(2), into: &together, batch: 4, flush: { batch in
            #expect(batch.count >= 4)
            flushed += batch
            batch.removeAll()
        })
        let byOne = ends.flatMap { one.bodyEnded($0.id, outcome: $0.outcome, now: .seconds(2)) }
        // Snapshots compare by their record's identity: the finished ones by what they say.
        let said = { (effects: [RegistryEffect]) in
            effects.map { if case .publish(.finished(let task)) = $0 { "finished \(task.id) \(task.status)" } else { "\($0)" } }
        }
        #expect(said(flushed + together) == said(byOne))
        #expect(Self.published(byOne).compactMap { if case .finished(let task) = $0 { task.id } else { nil } } == ids.reversed())
        #expect(machine.activeCount == 0 && machine.pendingResultCount(for: .topLevel) == 5)
        #expect(machine.invariantViolation() == nil)
    }

    @Test("A background result goes to the inbox and is delivered once: drained, then alreadyDelivered")
    func inboxDeliversOnce() throws {
        var machine = Self.machine()
        let id = try Self.running(.background(), in: &machine)
        let effects = machine.bodyEnded(id, outcome: .returned("A"), now: .seconds(1))
        #expect(Self.published(effects).contains(.resultsWaiting(.topLevel, count: 1)))
        let (results, drained) = machine.drainResults(for: .topLevel)
        #expect(results.map(\.status) == [.completed(summary: "A")])
        #expect(Self.published(drained) == [.resultsWaiting(.topLevel, count: 0)])
        #expect(machine.drainResults(for: .topLevel).0.isEmpty)
        guard case (.alreadyDelivered?, _) = machine.answerWait(for: id, requestedBy: .topLevel, now: .seconds(2)) else {
            Issue.record("expected .alreadyDelivered")
            return
        }
    }

    @Test("A suspended wait gets the result instead of the inbox; a second waiter gets alreadyDelivered")
    func waiterDeliversOnce() throws {
        var machine = Self.machine()
        let id = try Self.running(.background(), in: &machine)
        #expect(machine.answerWait(for: id, requestedBy: .topLevel, now: Self.t0).0 == nil)
        machine.addWaiter(7, for: id)
        machine.addWaiter(8, for: id)
        let resolved = Self.resolved(machine.bodyEnded(id, outcome: .returned("A"), now: Self.t0))
        guard case .finished(let result)? = resolved[7], case .alreadyDelivered? = resolved[8] else {
            Issue.record("expected finished then alreadyDelivered, got \(resolved)")
            return
        }
        #expect(result.status == .completed(summary: "A"))
        #expect(machine.pendingResultCount(for: .topLevel) == 0)
        #expect(machine.expireWaiter(7, for: id, because: .timedOut, now: Self.t0).isEmpty, "a resolved wait cannot expire")
    }

    @Test("A wait that times out answers timedOut with the live snapshot; a cancelled one answers cancelled; neither consumes")
    func waitExpiry() throws {
        var machine = Self.machine()
        let id = try Self.running(.background(), in: &machine)
        machine.addWaiter(1, for: id)
        machine.addWaiter(2, for: id)
        guard case .timedOut(let snapshot)? = Self.resolved(machine.expireWaiter(1, for: id, because: .timedOut, now: .seconds(5)))[1] else {
            Issue.record("expected .timedOut")
            return
        }
        #expect(snapshot.age == .seconds(5))
        #expect(Self.resolved(machine.expireWaiter(2, for: id, because: .cancelled, now: Self.t0)) == [2: .cancelled])
        _ = machine.bodyEnded(id, outcome: .returned("A"), now: Self.t0)
        #expect(machine.pendingResultCount(for: .topLevel) == 1)
    }

    @Test("Only the spawner may wait for or cancel a task")
    func scoped() throws {
        var machine = Self.machine()
        let parent = try Self.running(.background(), in: &machine)
        let child = try Self.running(.background(spawner: .task(parent)), in: &machine)
        #expect(machine.answerWait(for: child, requestedBy: .topLevel, now: Self.t0).0 == .forbidden)
        #expect(machine.answerWait(for: TaskID(99), requestedBy: .topLevel, now: Self.t0).0 == .notFound)
        #expect(machine.cancel(child, requestedBy: .topLevel, now: Self.t0).0 == .forbidden)
        guard case .cancelling = machine.cancel(child, requestedBy: .task(parent), now: Self.t0).0 else {
            Issue.record("expected .cancelling")
            return
        }
        #expect(machine.phase(of: child) == .stopping(.spawner, step: 0, activity: nil))
    }

    @Test("Trimming keeps the last finished entries listed and undelivered results waitable")
    func trimmingKeepsResults() throws {
        var machine = Self.machine(cap: 10, keepFinished: 1)
        let ids = try (0..<4).map { _ in try Self.running(.background(), in: &machine) }
        for id in ids { _ = machine.bodyEnded(id, outcome: .returned("\(id)"), now: Self.t0) }
        #expect(machine.snapshot(now: Self.t0).map(\.id) == [ids[3]])
        #expect(machine.pendingResultCount(for: .topLevel) == 4)
        guard case (.finished(let result)?, let effects) = machine.answerWait(for: ids[0], requestedBy: .topLevel, now: Self.t0) else {
            Issue.record("expected the trimmed result")
            return
        }
        #expect(result.id == ids[0])
        #expect(Self.published(effects) == [.resultsWaiting(.topLevel, count: 3)])
        #expect(machine.answerWait(for: ids[0], requestedBy: .topLevel, now: Self.t0).0 == .notFound)
        #expect(machine.invariantViolation() == nil)
    }

    @Test("A window of the listing gives the rows from an id on, in id order, skipping trimmed entries, and the total listed")
    func windowedListing() throws {
        var machine = Self.machine(cap: 100, keepFinished: 2)
        let ids = try (0..<10).map { _ in try Self.running(.background(), in: &machine) }
        // #1 to #4 end: the two oldest finished are trimmed, #3 and #4 stay listed.
        for id in ids.prefix(4) { _ = machine.bodyEnded(id, outcome: .returned("x"), now: Self.t0) }
        let start = machine.snapshot(from: TaskID(1), limit: 3, now: Self.t0)
        #expect(start.rows.map(\.id) == [ids[2], ids[3], ids[4]])
        #expect(start.total == 8)
        let middle = machine.snapshot(from: ids[5], limit: 3, now: Self.t0)
        #expect(middle.rows.map(\.id) == [ids[5], ids[6], ids[7]])
        let end = machine.snapshot(from: ids[8], limit: 40, now: Self.t0)
        #expect(end.rows.map(\.id) == [ids[8], ids[9]])
        #expect(machine.snapshot(from: TaskID(99), limit: 40, now: Self.t0).rows.isEmpty)
        #expect(machine.snapshot(from: TaskID(1), limit: 100, now: Self.t0).rows == machine.snapshot(now: Self.t0))
    }

    @Test("Shutdown cancels every active task and refuses every later start")
    func shutdownRefuses() throws {
        var machine = Self.machine()
        let running = try Self.running(.background(), in: &machine)
        let done = try Self.running(.foreground(), in: &machine)
        _ = machine.bodyEnded(done, outcome: .returned("x"), now: Self.t0)
        let (wasActive, effects) = machine.beginShutdown(now: Self.t0)
        #expect(wasActive.map(\.id) == [running])
        #expect(Self.cancelled(effects).contains(running))
        #expect(machine.isShuttingDown)
        #expect(throws: TaskRegistry.StartRefusal.shutDown) { _ = try machine.start(.foreground(), now: Self.t0, date: Date()) }
        #expect(machine.refusal(mode: .foreground, kind: .shell) == .shutDown)
        #expect(machine.activeSnapshots(now: Self.t0).map(\.statusWord) == ["stopping"])
    }

    @Test("Counts stay what the phases say over a long random run")
    func countsFollowPhases() {
        var machine = Self.machine(cap: 4, keepFinished: 3)
        var generator = SplitMix(seed: 15)
        var started: [TaskID] = []
        for step in 0..<2_000 {
            let now = Duration.milliseconds(step)
            let pick = started.isEmpty ? nil : started[Int(generator.next() % UInt64(started.count))]
            switch generator.next() % 6 {
            case 0:
                let spawner: Spawner = pick.map { .task($0) } ?? .topLevel
                let request: TaskRegistry.Request = generator.next() % 2 == 0 ? .background(spawner: spawner) : .foreground(spawner: spawner)
                if let id = try? machine.start(request, now: now, date: Date()).id { started.append(id) }
            case 1: if let pick { _ = machine.bodyBegins(pick, now: now) }
            case 2: if let pick { _ = machine.report(pick, step: step, activity: "a", now: now) }
            case 3: if let pick { _ = machine.cancel(pick, source: .user, now: now) }
            case 4: if let pick { _ = machine.bodyEnded(pick, outcome: .returned("r"), now: now) }
            default: _ = machine.drainResults(for: .topLevel)
            }
            if let violation = machine.invariantViolation() {
                Issue.record("step \(step): \(violation)")
                return
            }
            #expect(machine.capSlotsHeld <= 4)
        }
    }
}

/// A small deterministic generator for the random run.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The machine's steps with their effects returned, as the tests read them.
extension RegistryMachine {
    mutating func start(_ request: TaskRegistry.Request, now: Duration, date: Date) throws(TaskRegistry.StartRefusal) -> (id: TaskID, effects: [RegistryEffect]) {
        var effects: [RegistryEffect] = []
        let id = try start(request, now: now, date: date, makeBody: { _ in nil }, into: &effects)
        return (id, effects)
    }

    mutating func bodyBegins(_ id: TaskID, now: Duration) -> (run: Bool, effects: [RegistryEffect]) {
        var effects: [RegistryEffect] = []
        let run = bodyBegins(id, now: now, into: &effects)
        return (run, effects)
    }

    mutating func bodyEnded(_ id: TaskID, outcome: BodyOutcome, now: Duration) -> [RegistryEffect] {
        var effects: [RegistryEffect] = []
        bodyEnded(id, outcome: outcome, now: now, into: &effects)
        return effects
    }

    mutating func report(_ id: TaskID, step: Int?, activity: String?, now: Duration) -> [RegistryEffect] {
        var effects: [RegistryEffect] = []
        report(id, step: step, activity: activity, now: now, into: &effects)
        return effects
    }

    mutating func cancel(_ id: TaskID, source: CancellationSource, now: Duration) -> (TaskRegistry.CancelOutcome, [RegistryEffect]) {
        var effects: [RegistryEffect] = []
        let outcome = cancel(id, source: source, now: now, into: &effects)
        return (outcome, effects)
    }

    mutating func cancel(_ id: TaskID, requestedBy caller: Spawner, now: Duration) -> (TaskRegistry.CancelOutcome, [RegistryEffect]) {
        var effects: [RegistryEffect] = []
        let outcome = cancel(id, requestedBy: caller, now: now, into: &effects)
        return (outcome, effects)
    }
}
