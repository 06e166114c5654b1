import Clocks
@testable import MusterCore
import Testing

@Suite("Task registry races", .timeLimit(.minutes(1)))
struct TaskRegistryRaceTests {
    static let rounds = 200

    @Test("A task cancelled before its body starts never runs its body and ends cancelled from pending")
    func cancelBeforeBodyStarts() async throws {
        let registry = TaskRegistry()
        let events = registry.events.subscribe().tasks
        let ran = Recorder<TaskID>()
        let (id, outcome) = try await registry.atomically { registry in
            let id = try registry.start(.background()) { context in
                ran.record(context.id)
                return "ran"
            }
            return (id, registry.cancel(id))
        }
        guard case .cancelling(let snapshot) = outcome else {
            Issue.record("expected .cancelling")
            return
        }
        #expect(snapshot.status == .pending)
        #expect(snapshot.cancelRequested == .user)

        let seen = await events.read(until: { $0.finishedID == id })
        #expect(seen.last?.snapshot?.status == .cancelled(by: .user))
        #expect(seen.allSatisfy { $0.snapshot?.status.word != "running" }, "it never went running")
        // A second task, started after, runs: by the time it finishes, the first one's body had every chance to run.
        let witness = try await registry.start(.foreground()) { context in ran.record(context.id); return "ran" }
        _ = await events.readUntilFinished(witness)
        #expect(ran.values == [witness])
        #expect(await registry.runningBackgroundAgents == 0)
        #expect(await registry.activeTasks == 0)
    }

    @Test("A cancel racing the start of a body either stops it before it runs or cancels it while running")
    func cancelRacingStart() async throws {
        for _ in 0..<Self.rounds {
            let registry = TaskRegistry()
            let events = registry.events.subscribe().tasks
            let ran = Recorder<TaskID>()
            let gate = Gate()
            let id = try await registry.start(.background()) { context in
                ran.record(context.id)
                try await gate.wait()
                return "opened"
            }
            await registry.cancel(id)
            let seen = await events.read(until: { $0.finishedID == id })
            let wentRunning = seen.contains { $0.snapshot?.status.word == "running" }
            #expect(seen.last?.snapshot?.status == .cancelled(by: .user))
            #expect(seen.filter { $0.finishedID == id }.count == 1)
            #expect(ran.count <= 1)
            // The body ran exactly when the task was seen running.
            #expect(ran.count == (wentRunning ? 1 : 0))
        }
    }

    @Test("A cancel racing completion leaves one terminal state, one finished event, and the cancel answer agrees")
    func cancelRacingCompletion() async throws {
        for _ in 0..<Self.rounds {
            let registry = TaskRegistry()
            let events = registry.events.subscribe().tasks
            let gate = Gate()
            let id = try await registry.start(.background()) { _ in
                await gate.waitIgnoringCancellation()
                return "done"
            }
            await gate.untilArrivals(1)
            let outcome = await withTaskGroup(of: TaskRegistry.CancelOutcome?.self) { group in
                group.addTask { gate.open(); return nil }
                group.addTask { await registry.cancel(id) }
                var outcome: TaskRegistry.CancelOutcome?
                for await answer in group { if let answer { outcome = answer } }
                return outcome
            }
            let final = try #require(await events.readUntilFinished(id))
            switch outcome {
            case .cancelling(let snapshot):
                #expect(snapshot.cancelRequested == .user)
                #expect(final.status == .cancelled(by: .user), "a cancel that got in first wins")
            case .alreadyFinished(let snapshot):
                #expect(snapshot.status == .completed(summary: "done"))
                #expect(final.status == .completed(summary: "done"))
            default:
                Issue.record("unexpected cancel answer \(String(describing: outcome))")
            }
            #expect(await registry.snapshot(of: id)?.status == final.status)
            _ = await registry.shutdown()
            registry.events.finish()
            #expect(await events.readToEnd().allSatisfy { $0.finishedID != id }, "exactly one finished event")
            #expect(await registry.drainResults(for: .topLevel).map(\.status) == [final.status])
            #expect(await registry.runningBackgroundAgents == 0)
        }
    }

    @Test("Many cancels of one task at once all answer cancelling, and it finishes once")
    func concurrentCancels() async throws {
        let registry = TaskRegistry()
        let events = registry.events.subscribe().tasks
        let gate = Gate()
        let id = try await registry.start(.background()) { _ in try await gate.wait(); return "x" }
        await gate.untilArrivals(1)
        let outcomes = await withTaskGroup(of: TaskRegistry.CancelOutcome.self) { group in
            for _ in 0..<50 { group.addTask { await registry.cancel(id) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        for outcome in outcomes {
            guard case .cancelling(let snapshot) = outcome else {
                // A cancel that arrives after the body stopped is told so.
                guard case .alreadyFinished(let snapshot) = outcome else {
                    Issue.record("unexpected \(outcome)")
                    continue
                }
                #expect(snapshot.status == .cancelled(by: .user))
                continue
            }
            #expect(snapshot.cancelRequested == .user)
        }
        #expect(await events.readUntilFinished(id)?.status == .cancelled(by: .user))
        _ = await registry.shutdown()
        registry.events.finish()
        #expect(await events.readToEnd().allSatisfy { $0.finishedID != id })
        #expect(await registry.runningBackgroundAgents == 0)
    }

    @Test("A stale body finishing late does not touch a newer task with the same name")
    func staleCompletionLeavesNewerEntryAlone() async throws {
        let registry = TaskRegistry()
        let events = registry.events.subscribe().tasks
        let (oldGate, newGate) = (Gate(), Gate())
        let old = try await registry.start(.background("explore")) { context in
            await oldGate.waitIgnoringCancellation()
            await context.report(step: 7, activity: "stale work")
            return "old result"
        }
        await oldGate.untilArrivals(1)
        await registry.cancel(old)
        let new = try await registry.start(.background("explore")) { _ in
            try await newGate.wait()
            return "new result"
        }
        await newGate.untilArrivals(1)

        oldGate.open()
        let seen = await events.read(until: { $0.finishedID == old })
        #expect(seen.last?.snapshot?.status == .cancelled(by: .user))
        #expect(seen.allSatisfy { $0.snapshot?.id != new || $0.caseWord != "finished" })
        let newer = try #require(await registry.snapshot(of: new))
        #expect(newer.status == .running(step: 0, activity: nil))
        #expect(newer.cancelRequested == nil)
        #expect(newer.trail.isEmpty)
        #expect(await registry.runningBackgroundAgents == 1)

        newGate.open()
        #expect(await events.readUntilFinished(new)?.status == .completed(summary: "new result"))
        let results = await registry.drainResults(for: .topLevel)
        #expect(results.map(\.id) == [old, new])
        #expect(results.map(\.status) == [.cancelled(by: .user), .completed(summary: "new result")])
    }

    @Test("A hundred background agents started at once against a cap of 7 admit exactly 7, which keep running")
    func concurrentStartsRespectCap() async throws {
        let cap = 7
        let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: cap))
        let events = registry.events.subscribe().tasks
        let gate = Gate()
        let outcomes = await withTaskGroup(of: Result<TaskID, TaskRegistry.StartRefusal>.self) { group in
            for _ in 0..<100 {
                group.addTask {
                    do throws(TaskRegistry.StartRefusal) {
                        return .success(try await registry.start(.background()) { _ in try await gate.wait(); return "done" })
                    } catch {
                        return .failure(error)
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let admitted = outcomes.compactMap { try? $0.get() }
        let refusals = outcomes.compactMap { outcome -> TaskRegistry.StartRefusal? in
            if case .failure(let refusal) = outcome { refusal } else { nil }
        }
        #expect(admitted.count == cap)
        #expect(refusals.count == 100 - cap)
        #expect(refusals.allSatisfy { $0 == .capReached(limit: cap) })
        #expect(Set(refusals.map(\.description)) == [
            "Cannot start background agent: maximum concurrent background agents (7) reached. Stop an existing agent first.",
        ])

        await gate.untilArrivals(cap)
        #expect(await registry.runningBackgroundAgents == cap)
        let listed = await registry.snapshot()
        #expect(listed.map(\.id) == admitted.sorted(), "refused starts leave no entries")
        #expect(listed.allSatisfy { $0.status == .running(step: 0, activity: nil) && $0.cancelRequested == nil })

        gate.open()
        let finished = await events.readUntilFinished(admitted)
        #expect(finished.values.allSatisfy { $0.status == .completed(summary: "done") })
        #expect(await registry.runningBackgroundAgents == 0)
    }

    @Test("cancelAll and shutdown over more tasks than one batch of effects (and than the finished listing keeps): every task and child stops once, each stop published before its end, all in one step")
    func cancelAllInBatches() async throws {
        let parents = 300
        for shuttingDown in [false, true] {
            let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: 2 * parents))
            let events = registry.events.subscribe().tasks
            var ids: [TaskID] = []
            var parentOf: [TaskID: TaskID] = [:]
            for _ in 0..<parents {
                let parent = try await registry.start(.background()) { _ in
                    await untilCancelled()
                    return "woke"
                }
                let child = try await registry.start(.background(spawner: .task(parent))) { _ in
                    await untilCancelled()
                    return "woke"
                }
                ids += [parent, child]
                parentOf[child] = parent
            }
            if shuttingDown {
                let report = await registry.shutdown(grace: .seconds(30))
                #expect(report.cancelled.count == 2 * parents)
                #expect(report.stragglers.isEmpty)
            } else {
                let stopped = await registry.cancelAll()
                #expect(stopped == ids)
                #expect(await registry.snapshot().filter { !$0.isStopping && !$0.isTerminal }.isEmpty)
            }
            // One isolated step: every stop is on the bus before any body was cancelled, so
            // before the first end.
            var stoppingSeen: Set<TaskID> = []
            var finished: [TaskID: TaskSnapshot] = [:]
            var everyStopBeforeFirstEnd = true
            _ = await events.read(until: { event in
                if case .updated(let task) = event, task.isStopping { stoppingSeen.insert(task.id) }
                if case .finished(let task) = event {
                    if stoppingSeen.count < ids.count { everyStopBeforeFirstEnd = false }
                    finished[task.id] = task
                }
                return finished.count == ids.count
            })
            #expect(everyStopBeforeFirstEnd)
            for id in ids {
                // A child is stopped by its parent's cascade, before the loop reaches it.
                let expected: CancellationSource = parentOf[id].map { .parentEnded($0) } ?? (shuttingDown ? .shutdown : .user)
                #expect(finished[id]?.status == .cancelled(by: expected))
            }
            #expect(await registry.activeTasks == 0)
        }
    }

    @Test("A subscriber that never reads does not stall a thousand tasks, and coalescing bounds what it holds")
    func idleSubscriberDoesNotStallRegistry() async throws {
        let taskCount = 1_000
        let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: taskCount))
        let idle = registry.events.subscribe().tasks
        let reader = registry.events.subscribe().tasks
        var ids: [TaskID] = []
        for _ in 0..<taskCount {
            ids.append(try await registry.start(.background()) { context in
                for step in 1...5 { await context.report(step: step, activity: "step \(step)") }
                return "done"
            })
        }
        _ = await reader.readUntilFinished(ids)
        // An actor round trip: the last finish (and its publishing to every subscriber) is complete.
        #expect(await registry.activeTasks == 0)

        // Per task: started and finished (never coalesced) plus one slot for all its updates;
        // plus one slot for the inbox count. Without coalescing it would hold 8 events per task.
        let bound = 3 * taskCount + 1
        #expect(idle.pendingCount <= bound)
        #expect(idle.pendingCount == bound)

        let held = await idle.read(until: { _ in idle.pendingCount == 0 })
        #expect(held.compactMap(\.finishedID).count == taskCount)
        #expect(held.filter { $0.caseWord == "updated" }.allSatisfy { $0.snapshot?.status == .running(step: 5, activity: "step 5") },
                "the update kept for each task is its latest")
        #expect(held.contains(.resultsWaiting(.topLevel, count: taskCount)))
        #expect(await registry.drainResults(for: .topLevel).count == taskCount)
    }

    @Test("A wait cancelled as its task finishes delivers the result exactly once, to the wait or the inbox, and leaves no waiter")
    func cancelledWaitRacingCompletion() async throws {
        for round in 0..<Self.rounds {
            let registry = TaskRegistry(clock: TestClock())
            let gate = Gate()
            let id = try await registry.start(.background()) { _ in try await gate.wait(); return "A" }
            await gate.untilArrivals(1)
            let waiter = Task { await registry.wait(for: id, requestedBy: .topLevel, timeout: round.isMultiple(of: 2) ? nil : .seconds(60)) }
            await withTaskGroup(of: Void.self) { group in
                group.addTask { gate.open() }
                group.addTask { waiter.cancel() }
            }
            let outcome = await waiter.value
            let events = registry.events.subscribe().tasks
            if await registry.activeTasks > 0 { _ = await events.readUntilFinished(id) }
            let drained = await registry.drainResults(for: .topLevel)
            switch outcome {
            case .finished(let result):
                #expect(result.status == .completed(summary: "A"))
                #expect(drained.isEmpty, "round \(round): delivered to the wait and to the inbox")
            case .cancelled:
                #expect(drained.map(\.id) == [id], "round \(round): a cancelled wait consumed the result")
            default:
                Issue.record("round \(round): unexpected wait answer \(outcome)")
            }
            #expect(await registry.suspendedWaits.machine == 0)
            #expect(await registry.suspendedWaits.table == 0)
        }
    }

    @Test("A wait and a drain racing for one result deliver it exactly once")
    func waitRacingDrain() async throws {
        for round in 0..<Self.rounds {
            let registry = TaskRegistry(clock: TestClock())
            let gate = Gate()
            let id = try await registry.start(.background()) { _ in try await gate.wait(); return "A" }
            await gate.untilArrivals(1)
            let openFirst = round.isMultiple(of: 2)
            if openFirst { gate.open() }
            let (waited, drained) = await withTaskGroup(of: (TaskRegistry.WaitOutcome?, [TaskResult]?).self) { group in
                group.addTask { (await registry.wait(for: id, requestedBy: .topLevel, timeout: .seconds(60)), nil) }
                group.addTask { (nil, await registry.drainResults(for: .topLevel)) }
                if !openFirst { group.addTask { gate.open(); return (nil, nil) } }
                var waited: TaskRegistry.WaitOutcome?
                var drained: [TaskResult] = []
                for await (wait, drain) in group {
                    if let wait { waited = wait }
                    if let drain { drained += drain }
                }
                return (waited, drained)
            }
            // A drain that ran before the task finished finds nothing; collect what is left.
            let late = await registry.drainResults(for: .topLevel)
            var deliveries = drained.count + late.count
            switch waited {
            case .finished(let result):
                #expect(result.status == .completed(summary: "A"))
                deliveries += 1
            case .alreadyDelivered(let snapshot):
                #expect(snapshot.status == .completed(summary: "A"))
            default:
                Issue.record("unexpected wait answer \(String(describing: waited))")
            }
            #expect(deliveries == 1, "round \(round): delivered \(deliveries) times")
        }
    }
}
