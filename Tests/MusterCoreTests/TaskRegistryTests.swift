import Clocks
import Foundation
@testable import MusterCore
import Testing

@Suite("Task registry", .timeLimit(.minutes(1)))
struct TaskRegistryTests {
    // MARK: - Starting and lifecycle

    @Suite("Starting and lifecycle")
    struct Lifecycle {
        @Test("Start returns an id at once and the entry is listed as pending before its body runs")
        func startListsPendingEntry() async throws {
            let registry = TaskRegistry()
            let events = registry.events.subscribe().tasks
            let gate = Gate()
            let ran = Recorder<TaskID>()
            let (id, listed, runsSoFar) = try await registry.atomically { registry in
                let id = try registry.start(.background()) { context in
                    ran.record(context.id)
                    try await gate.wait()
                    return "done"
                }
                return (id, registry.snapshot(), ran.count)
            }
            #expect(runsSoFar == 0)
            #expect(listed.map(\.id) == [id])
            #expect(listed.first?.status == .pending)
            #expect(listed.first?.name == "explore")
            #expect(listed.first?.mode == .background)
            #expect(listed.first?.spawner == .topLevel)

            let first = await events.next()
            #expect(first?.caseWord == "started")
            #expect(first?.snapshot?.status == .pending)

            await gate.untilArrivals(1)
            #expect(ran.values == [id])
            #expect(await registry.snapshot(of: id)?.status == .running(step: 0, activity: nil))
            gate.open()
            #expect(await events.readUntilFinished(id)?.status == .completed(summary: "done"))
        }

        @Test("Ids count up from #1 in start order, also when many tasks start at once")
        func idsAreMonotonic() async throws {
            let registry = TaskRegistry()
            var sequential: [TaskID] = []
            for _ in 0..<5 { sequential.append(try await registry.start(.foreground()) { _ in "x" }) }
            #expect(sequential == (1...5).map { TaskID($0) })

            let concurrent = await withTaskGroup(of: TaskID?.self) { group in
                for _ in 0..<20 { group.addTask { try? await registry.start(.foreground()) { _ in "x" } } }
                var ids: [TaskID] = []
                for await id in group { if let id { ids.append(id) } }
                return ids
            }
            #expect(concurrent.count == 20)
            #expect(Set(concurrent) == Set((6...25).map { TaskID($0) }))
            #expect(try await registry.start(.foreground()) { _ in "x" } == TaskID(26))
        }

        @Test("A task goes from pending to running to completed, carrying its summary")
        func completesWithSummary() async throws {
            let registry = TaskRegistry()
            let events = registry.events.subscribe().tasks
            let id = try await registry.start(.foreground()) { _ in "found 3 files" }
            let seen = await events.read(until: { $0.finishedID == id })
            #expect(seen.map(\.caseWord) == ["started", "updated", "finished"])
            #expect(seen.map(\.snapshot?.status) == [
                .pending, .running(step: 0, activity: nil), .completed(summary: "found 3 files"),
            ])
            let final = try #require(await registry.snapshot(of: id))
            #expect(final.status == .completed(summary: "found 3 files"))
            #expect(final.endedAt != nil)
            #expect(final.cancelRequested == nil)
            #expect(await registry.activeTasks == 0)
        }

        struct DiskFull: LocalizedError {
            var errorDescription: String? { "disk full" }
        }

        @Test("A body that throws ends failed with the error's text")
        func failsWithErrorText() async throws {
            let registry = TaskRegistry()
            let events = registry.events.subscribe().tasks
            let localized = try await registry.start(.foreground()) { _ in throw DiskFull() }
            let described = try await registry.start(.foreground()) { _ in
                throw DescribedError(description: "no such file: a.txt")
            }
            let finished = await events.readUntilFinished([localized, described])
            #expect(finished[localized]?.status == .failed(error: "disk full"))
            #expect(finished[described]?.status == .failed(error: "no such file: a.txt"))
        }

        @Test("A body that throws CancellationError without being cancelled ends failed as interrupted, not cancelled")
        func ownCancellationErrorIsAFailure() async throws {
            let registry = TaskRegistry()
            let events = registry.events.subscribe().tasks
            let id = try await registry.start(.foreground()) { _ in throw CancellationError() }
            let final = try #require(await events.readUntilFinished(id))
            guard case .failed(let error) = final.status else {
                Issue.record("expected failed, got \(final.status)")
                return
            }
            #expect(error.hasPrefix("interrupted"))
        }

        @Test("Progress reports move a running task through steps and keep the latest lines of its trail")
        func reportsProgress() async throws {
            let registry = TaskRegistry(configuration: .init(trailLength: 3))
            let events = registry.events.subscribe().tasks
            let gate = Gate()
            let id = try await registry.start(.background()) { context in
                await context.report(step: 1, activity: "read a.swift")
                await context.note("found 2 matches")
                await context.report(activity: "read b.swift")
                await context.report(step: 2, activity: "read c.swift")
                try await gate.wait()
                return "read 3 files"
            }
            await gate.untilArrivals(1)
            let running = try #require(await registry.snapshot(of: id))
            #expect(running.status == .running(step: 2, activity: "read c.swift"))
            #expect(running.trail == ["found 2 matches", "read b.swift", "read c.swift"])

            gate.open()
            _ = await events.readUntilFinished(id)
            let results = await registry.drainResults(for: .topLevel)
            #expect(results.map(\.trail) == [["found 2 matches", "read b.swift", "read c.swift"]])
        }

        @Test("Reports and notes for a finished task change nothing")
        func ignoresLateReports() async throws {
            let registry = TaskRegistry()
            let events = registry.events.subscribe().tasks
            let id = try await registry.start(.foreground()) { context in
                await context.note("working")
                return "done"
            }
            let final = try #require(await events.readUntilFinished(id))
            await registry.report(id, step: 9, activity: "late")
            await registry.note(id, "late note")
            #expect(await registry.snapshot(of: id) == final)
        }

        static let statuses: [TaskStatus] = [
            .pending, .running(step: 0, activity: nil), .running(step: 3, activity: "grep"),
            .completed(summary: "ok"), .failed(error: "boom"), .cancelled(by: .user),
        ]

        @Test("Pending and running move on to running or a terminal state; nothing returns to pending; terminal states never change",
              arguments: statuses, statuses)
        func transitionRules(from: TaskStatus, to: TaskStatus) {
            let legal: Set<String> = [
                "pending→running", "pending→completed", "pending→failed", "pending→cancelled",
                "running→running", "running→completed", "running→failed", "running→cancelled",
            ]
            #expect(from.canTransition(to: to) == legal.contains("\(from.word)→\(to.word)"))
        }
    }

    // MARK: - Cancelling

    @Suite("Cancelling")
    struct Cancelling {
        @Test("Cancel cancels the real Task: a body sleeping on the clock wakes with CancellationError and ends cancelled")
        func cancelWakesSleepingBody() async throws {
            let clock = TestClock()
            let registry = TaskRegistry(clock: clock)
            let events = registry.events.subscribe().tasks
            let sleepEnded = Recorder<String>()
            let id = try await registry.start(.background()) { _ in
                do {
                    try await clock.sleep(for: .seconds(3600))
                    sleepEnded.record("woke on time")
                } catch is CancellationError {
                    sleepEnded.record("cancelled")
                    throw CancellationError()
                }
                return "slept"
            }
            await clock.untilSleeping()

            guard case .cancelling(let snapshot) = await registry.cancel(id) else {
                Issue.record("expected .cancelling")
                return
            }
            #expect(snapshot.id == id)
            #expect(snapshot.cancelRequested == .user)
            #expect(snapshot.status == .running(step: 0, activity: nil))
            #expect(await events.readUntilFinished(id)?.status == .cancelled(by: .user))
            #expect(sleepEnded.values == ["cancelled"])
            try await clock.checkSuspension()
        }

        @Test("Cancel wakes a body waiting on a gate that honours cancellation, and the task ends cancelled")
        func cancelWakesGateWaiter() async throws {
            let registry = TaskRegistry()
            let events = registry.events.subscribe().tasks
            let gate = Gate()
            let thrown = Recorder<String>()
            let id = try await registry.start(.foreground()) { _ in
                do {
                    try await gate.wait()
                } catch {
                    thrown.record("\(type(of: error))")
                    throw error
                }
                return "opened"
            }
            await gate.untilArrivals(1)
            await registry.cancel(id)
            #expect(await events.readUntilFinished(id)?.status == .cancelled(by: .user))
            #expect(thrown.values == ["CancellationError"])
            #expect(await registry.activeTasks == 0)
        }

        @Test("Cancelling a finished task answers alreadyFinished with its final state; an unknown id answers notFound")
        func cancelOutcomes() async throws {
            let registry = TaskRegistry()
            let events = registry.events.subscribe().tasks
            let completed = try await registry.start(.foreground()) { _ in "done" }
            let failed = try await registry.start(.foreground()) { _ in throw DescribedError(description: "boom") }
            _ = await events.readUntilFinished([completed, failed])

            let completedSnapshot = try #require(await registry.snapshot(of: completed))
            #expect(await registry.cancel(completed) == .alreadyFinished(completedSnapshot))
            #expect(completedSnapshot.status == .completed(summary: "done"))
            let failedSnapshot = try #require(await registry.snapshot(of: failed))
            #expect(await registry.cancel(failed) == .alreadyFinished(failedSnapshot))
            #expect(failedSnapshot.status == .failed(error: "boom"))
            #expect(await registry.snapshot(of: completed) == completedSnapshot, "cancel changed nothing")

            #expect(await registry.cancel(TaskID(999)) == .notFound)
            #expect(await registry.cancel(TaskID(999), requestedBy: .topLevel) == .notFound)
        }

        @Test("Cancelling twice is idempotent: the first request stands and the task ends once")
        func doubleCancelIsIdempotent() async throws {
            let registry = TaskRegistry()
            let events = registry.events.subscribe().tasks
            let stubborn = Gate()
            let sawCancellation = Recorder<Bool>()
            let id = try await registry.start(.background()) { _ in
                await stubborn.waitIgnoringCancellation()
                sawCancellation.record(Task.isCancelled)
                return "finished anyway"
            }
            await stubborn.untilArrivals(1)

            guard case .cancelling(let first) = await registry.cancel(id) else {
                Issue.record("expected .cancelling")
                return
            }
            guard case .cancelling(let second) = await registry.cancel(id, source: .shutdown) else {
                Issue.record("expected .cancelling again")
                return
            }
            #expect(first.cancelRequested == .user)
            #expect(second.cancelRequested == .user, "the first request stands")
            #expect(await registry.runningBackgroundAgents == 1, "a stopping agent holds its slot until its body returns")

            stubborn.open()
            #expect(await events.readUntilFinished(id)?.status == .cancelled(by: .user))
            #expect(await registry.runningBackgroundAgents == 0, "a slot is freed once, not twice")
            #expect(sawCancellation.values == [true])
            #expect(await registry.cancel(id) == .alreadyFinished(try #require(await registry.snapshot(of: id))))
            _ = await registry.shutdown()
            // The bus's owner ends it after the registry's shutdown, as a session does.
            registry.events.finish()
            let rest = await events.readToEnd()
            #expect(rest.allSatisfy { $0.finishedID != id }, "no second finished event")
            #expect(await registry.runningBackgroundAgents == 0)
        }

        @Test("Only the task that launched a task may cancel it through the scoped cancel")
        func scopedCancelIsForbiddenToOthers() async throws {
            let registry = TaskRegistry()
            let events = registry.events.subscribe().tasks
            let gate = Gate()
            let parent = try await registry.start(.background("planner")) { _ in try await gate.wait(); return "p" }
            let child = try await registry.start(.background(spawner: .task(parent))) { _ in try await gate.wait(); return "c" }
            await gate.untilArrivals(2)

            #expect(await registry.cancel(child, requestedBy: .topLevel) == .forbidden)
            #expect(await registry.cancel(child, requestedBy: .task(TaskID(999))) == .forbidden)
            #expect(await registry.cancel(parent, requestedBy: .task(child)) == .forbidden)
            let untouched = try #require(await registry.snapshot(of: child))
            #expect(untouched.cancelRequested == nil)
            #expect(untouched.status == .running(step: 0, activity: nil))

            guard case .cancelling(let snapshot) = await registry.cancel(child, requestedBy: .task(parent)) else {
                Issue.record("expected .cancelling")
                return
            }
            #expect(snapshot.cancelRequested == .spawner)
            #expect(await events.readUntilFinished(child)?.status == .cancelled(by: .spawner))
            #expect(await registry.snapshot(of: parent)?.status == .running(step: 0, activity: nil))

            guard case .cancelling = await registry.cancel(parent, requestedBy: .topLevel) else {
                Issue.record("the top level launched the parent, so it may cancel it")
                return
            }
            #expect(await events.readUntilFinished(parent)?.status == .cancelled(by: .spawner))
        }

        @Test("Cancelling a task cancels its children and grandchildren, each because its parent ended")
        func cascadesThreeLevels() async throws {
            let registry = TaskRegistry()
            let events = registry.events.subscribe().tasks
            let gate = Gate()
            let cancelledBodies = Recorder<TaskID>()
            let body: TaskRegistry.Body = { context in
                do { try await gate.wait() } catch { cancelledBodies.record(context.id); throw error }
                return "done"
            }
            let top = try await registry.start(.background("planner"), body: body)
            let child = try await registry.start(.background("explore", spawner: .task(top)), body: body)
            let grandchild = try await registry.start(.foreground("grep", spawner: .task(child)), body: body)
            let bystander = try await registry.start(.background("other"), body: body)
            await gate.untilArrivals(4)

            #expect(await registry.cancel(top) != .notFound)
            // The whole subtree is marked at once, before any body has stopped.
            #expect(await registry.snapshot(of: child)?.cancelRequested == .parentEnded(top))
            #expect(await registry.snapshot(of: grandchild)?.cancelRequested == .parentEnded(child))

            let finished = await events.readUntilFinished([top, child, grandchild])
            #expect(finished[top]?.status == .cancelled(by: .user))
            #expect(finished[child]?.status == .cancelled(by: .parentEnded(top)))
            #expect(finished[grandchild]?.status == .cancelled(by: .parentEnded(child)))
            #expect(Set(cancelledBodies.values) == [top, child, grandchild], "every real Task was cancelled")

            let other = try #require(await registry.snapshot(of: bystander))
            #expect(other.status == .running(step: 0, activity: nil))
            #expect(other.cancelRequested == nil)
            gate.open()
            #expect(await events.readUntilFinished(bystander)?.status == .completed(summary: "done"))
        }

        @Test("A parent that completes cancels the children and grandchildren it left running, and drops their results")
        func completedParentCancelsChildren() async throws {
            let registry = TaskRegistry()
            let events = registry.events.subscribe().tasks
            let childGate = Gate()
            let launched = Recorder<TaskID>()
            let parent = try await registry.start(.background("planner")) { context in
                let child = try await registry.start(.background("explore", spawner: context.asSpawner)) { _ in
                    try await childGate.wait()
                    return "child"
                }
                let grandchild = try await registry.start(.background("grep", spawner: .task(child))) { _ in
                    try await childGate.wait()
                    return "grandchild"
                }
                launched.record(child)
                launched.record(grandchild)
                await childGate.untilArrivals(2)
                return "planned"
            }
            #expect(await events.readUntilFinished(parent)?.status == .completed(summary: "planned"))
            let ids = launched.values
            try #require(ids.count == 2)
            let (child, grandchild) = (ids[0], ids[1])
            let finished = await events.readUntilFinished([child, grandchild])
            #expect(finished[child]?.status == .cancelled(by: .parentEnded(parent)))
            #expect(finished[grandchild]?.status == .cancelled(by: .parentEnded(child)))
            #expect(childGate.arrivals == 2)

            #expect(await registry.drainResults(for: .task(parent)).isEmpty)
            #expect(await registry.drainResults(for: .task(child)).isEmpty)
            #expect(await registry.drainResults(for: .topLevel).map(\.id) == [parent])
            #expect(await registry.activeTasks == 0)
            #expect(await registry.runningBackgroundAgents == 0)
        }
        @Test("A task started for a parent that is being cancelled, or has ended, is cancelled before its body runs")
        func childOfEndingParentNeverRuns() async throws {
            let registry = TaskRegistry()
            let events = registry.events.subscribe().tasks
            let stubborn = Gate()
            let ran = Recorder<TaskID>()
            let ending = try await registry.start(.background("planner")) { _ in
                await stubborn.waitIgnoringCancellation()
                return "ignored the cancel"
            }
            let ended = try await registry.start(.background("planner")) { _ in "done" }
            await stubborn.untilArrivals(1)
            _ = await events.readUntilFinished(ended)
            await registry.cancel(ending)

            let lateChild = try await registry.start(.background(spawner: .task(ending))) { context in
                ran.record(context.id)
                return "ran anyway"
            }
            let orphan = try await registry.start(.background(spawner: .task(ended))) { context in
                ran.record(context.id)
                return "ran anyway"
            }
            let finished = await events.readUntilFinished([lateChild, orphan])
            #expect(finished[lateChild]?.status == .cancelled(by: .parentEnded(ending)))
            #expect(finished[orphan]?.status == .cancelled(by: .parentEnded(ended)))
            #expect(ran.values.isEmpty)
            stubborn.open()
            _ = await events.readUntilFinished(ending)
            #expect(await registry.activeTasks == 0)
            #expect(await registry.runningBackgroundAgents == 0)
        }
    }

    // MARK: - Results

    @Suite("Results")
    struct Results {
        @Test("Background results are drained once, oldest first, and the inbox count is published")
        func drainsOnceOldestFirst() async throws {
            let registry = TaskRegistry()
            let events = registry.events.subscribe().tasks
            let (gateA, gateB) = (Gate(), Gate())
            let a = try await registry.start(.background("a")) { _ in try await gateA.wait(); return "A" }
            let b = try await registry.start(.background("b")) { _ in try await gateB.wait(); return "B" }
            let foreground = try await registry.start(.foreground()) { _ in "F" }
            gateB.open()
            _ = await events.readUntilFinished([b, foreground])
            gateA.open()
            _ = await events.readUntilFinished(a)
            #expect(await registry.pendingResultCount(for: .topLevel) == 2, "foreground results never wait in an inbox")

            let drained = await registry.drainResults(for: .topLevel)
            #expect(drained.map(\.id) == [b, a])
            #expect(drained.map(\.status) == [.completed(summary: "B"), .completed(summary: "A")])
            #expect(drained.map(\.name) == ["b", "a"])
            #expect(drained.allSatisfy { $0.description == "look around the workspace" })
            #expect(await registry.drainResults(for: .topLevel).isEmpty)
            #expect(await registry.pendingResultCount(for: .topLevel) == 0)
            _ = await events.read(until: { $0 == .resultsWaiting(.topLevel, count: 0) })
        }

        @Test("Wait consumes a finished result: a later drain or wait does not deliver it again")
        func waitConsumes() async throws {
            let registry = TaskRegistry(clock: TestClock())
            let events = registry.events.subscribe().tasks
            let id = try await registry.start(.background()) { _ in "A" }
            _ = await events.readUntilFinished(id)

            guard case .finished(let result) = await registry.wait(for: id, requestedBy: .topLevel, timeout: .seconds(5)) else {
                Issue.record("expected the result")
                return
            }
            #expect(result.id == id)
            #expect(result.status == .completed(summary: "A"))
            #expect(await registry.drainResults(for: .topLevel).isEmpty)
            #expect(await registry.pendingResultCount(for: .topLevel) == 0)
            guard case .alreadyDelivered(let snapshot) = await registry.wait(for: id, requestedBy: .topLevel, timeout: .seconds(5)) else {
                Issue.record("expected .alreadyDelivered")
                return
            }
            #expect(snapshot.status == .completed(summary: "A"))
        }

        @Test("A wait that is suspended while the task runs gets the result when it finishes")
        func suspendedWaitGetsResult() async throws {
            let clock = TestClock()
            let registry = TaskRegistry(clock: clock)
            let gate = Gate()
            let id = try await registry.start(.background()) { _ in try await gate.wait(); return "A" }
            await gate.untilArrivals(1)
            async let outcome = registry.wait(for: id, requestedBy: .topLevel, timeout: .seconds(30))
            await clock.untilSleeping()
            gate.open()
            guard case .finished(let result) = await outcome else {
                Issue.record("expected the result")
                return
            }
            #expect(result.status == .completed(summary: "A"))
            #expect(await registry.drainResults(for: .topLevel).isEmpty, "a result handed to a wait is not also queued")
            try await clock.checkSuspension()
        }

        @Test("Wait times out with a snapshot of the running task when the test clock passes the timeout, and consumes nothing")
        func waitTimesOut() async throws {
            let clock = TestClock()
            let registry = TaskRegistry(clock: clock)
            let events = registry.events.subscribe().tasks
            let gate = Gate()
            let id = try await registry.start(.background()) { _ in try await gate.wait(); return "A" }
            await gate.untilArrivals(1)
            async let outcome = registry.wait(for: id, requestedBy: .topLevel, timeout: .seconds(30))
            await clock.untilSleeping()
            await clock.advance(by: .seconds(30))
            guard case .timedOut(let snapshot) = await outcome else {
                Issue.record("expected .timedOut")
                return
            }
            #expect(snapshot.id == id)
            #expect(snapshot.status == .running(step: 0, activity: nil))
            #expect(snapshot.age == .seconds(30))

            gate.open()
            _ = await events.readUntilFinished(id)
            #expect(await registry.drainResults(for: .topLevel).map(\.id) == [id])
        }

        @Test("Wait answers notFound for an unknown id and forbidden to a caller that did not launch the task")
        func waitNotFoundAndForbidden() async throws {
            let registry = TaskRegistry(clock: TestClock())
            let events = registry.events.subscribe().tasks
            let gate = Gate()
            let parent = try await registry.start(.background("planner")) { _ in try await gate.wait(); return "p" }
            let child = try await registry.start(.background(spawner: .task(parent))) { _ in "c" }
            _ = await events.readUntilFinished(child)

            #expect(await registry.wait(for: TaskID(999), requestedBy: .topLevel, timeout: .seconds(1)) == .notFound)
            #expect(await registry.wait(for: child, requestedBy: .topLevel, timeout: .seconds(1)) == .forbidden)
            #expect(await registry.wait(for: child, requestedBy: .task(TaskID(999)), timeout: .seconds(1)) == .forbidden)
            #expect(await registry.wait(for: parent, requestedBy: .task(child), timeout: .seconds(1)) == .forbidden)
            #expect(await registry.pendingResultCount(for: .task(parent)) == 1, "a refused wait consumes nothing")
            gate.open()
            _ = await events.readUntilFinished(parent)
        }

        @Test("A wait without a timeout lasts until the task ends, however long on the clock")
        func waitWithoutTimeout() async throws {
            let clock = TestClock()
            let registry = TaskRegistry(clock: clock)
            let gate = Gate()
            let id = try await registry.start(.background()) { _ in try await gate.wait(); return "A" }
            async let outcome = registry.wait(for: id, requestedBy: .topLevel, timeout: nil)
            await clock.advance(by: .seconds(10 * 365 * 86_400))
            gate.open()
            guard case .finished(let result) = await outcome else {
                Issue.record("expected .finished")
                return
            }
            #expect(result.status == .completed(summary: "A"))
        }

        @Test("A wait without a timeout whose caller is cancelled returns cancelled, consuming nothing")
        func cancelledUntimedWait() async throws {
            let registry = TaskRegistry(clock: TestClock())
            let events = registry.events.subscribe().tasks
            let gate = Gate()
            let id = try await registry.start(.background()) { _ in try await gate.wait(); return "A" }
            await gate.untilArrivals(1)
            let waiter = Task { await registry.wait(for: id, requestedBy: .topLevel) }
            waiter.cancel()
            #expect(await waiter.value == .cancelled)
            #expect(await registry.suspendedWaits.machine == 0, "the cancelled wait left no waiter behind")
            #expect(await registry.suspendedWaits.table == 0)
            gate.open()
            _ = await events.readUntilFinished(id)
            #expect(await registry.drainResults(for: .topLevel).map(\.id) == [id])
        }

        @Test("A suspended wait cancelled by its caller returns at once, cancelled, consuming nothing: no waiter left behind, the task runs on, a later wait gets the result")
        func cancelledSuspendedWaitLeavesNoWaiter() async throws {
            let clock = TestClock()
            let registry = TaskRegistry(clock: clock)
            let events = registry.events.subscribe().tasks
            let gate = Gate()
            let id = try await registry.start(.background()) { _ in try await gate.wait(); return "A" }
            await gate.untilArrivals(1)
            let cancelled = Task { await registry.wait(for: id, requestedBy: .topLevel, timeout: .seconds(60)) }
            // Its timeout is on the clock: the wait is suspended, its waiter registered.
            await clock.untilSleeping()
            #expect(await registry.suspendedWaits.machine == 1)
            cancelled.cancel()
            #expect(await cancelled.value == .cancelled)
            #expect(await registry.suspendedWaits.machine == 0, "the cancelled wait left no waiter behind")
            #expect(await registry.suspendedWaits.table == 0)
            #expect(await registry.snapshot(of: id)?.status == .running(step: 0, activity: nil), "cancelling a wait leaves the task running")
            try await clock.checkSuspension()

            async let later = registry.wait(for: id, requestedBy: .topLevel)
            gate.open()
            guard case .finished(let result) = await later else {
                Issue.record("expected the result for the later wait")
                return
            }
            #expect(result.id == id)
            _ = await events.readUntilFinished(id)
            #expect(await registry.drainResults(for: .topLevel).isEmpty, "delivered once, to the later wait")
            #expect(await registry.suspendedWaits.machine == 0)
            #expect(await registry.suspendedWaits.table == 0)
        }

        @Test("After a drain, a wait for the same task answers alreadyDelivered")
        func waitAfterDrain() async throws {
            let registry = TaskRegistry(clock: TestClock())
            let events = registry.events.subscribe().tasks
            let id = try await registry.start(.background()) { _ in "A" }
            _ = await events.readUntilFinished(id)
            #expect(await registry.drainResults(for: .topLevel).map(\.id) == [id])
            guard case .alreadyDelivered(let snapshot) = await registry.wait(for: id, requestedBy: .topLevel, timeout: .seconds(1)) else {
                Issue.record("expected .alreadyDelivered")
                return
            }
            #expect(snapshot.id == id)
        }

        @Test("A result whose entry left the listing can still be waited for, once")
        func trimmedResultStillWaits() async throws {
            let registry = TaskRegistry(configuration: .init(keepFinished: 1), clock: TestClock())
            let events = registry.events.subscribe().tasks
            let early = try await registry.start(.background()) { _ in "early" }
            _ = await events.readUntilFinished(early)
            let later = try await registry.start(.foreground()) { _ in "later" }
            _ = await events.readUntilFinished(later)
            #expect(await registry.snapshot(of: early) == nil)

            guard case .finished(let result) = await registry.wait(for: early, requestedBy: .topLevel, timeout: .seconds(1)) else {
                Issue.record("expected the result")
                return
            }
            #expect(result.status == .completed(summary: "early"))
            #expect(await registry.wait(for: early, requestedBy: .topLevel, timeout: .seconds(1)) == .notFound)
            #expect(await registry.drainResults(for: .topLevel).isEmpty)
        }
    }

    // MARK: - Listing

    @Suite("Listing")
    struct Listing {
        @Test("Snapshots are sorted by id and their ages come from the injected clock, frozen once a task ends")
        func sortedWithClockAges() async throws {
            let clock = TestClock()
            let registry = TaskRegistry(clock: clock)
            let events = registry.events.subscribe().tasks
            let gate = Gate()
            var ids: [TaskID] = []
            for index in 0..<30 {
                ids.append(try await registry.start(.foreground()) { _ in try await gate.wait(); return "done" })
                await gate.untilArrivals(index + 1)
                await clock.advance(by: .seconds(1))
            }
            let running = await registry.snapshot()
            #expect(running.map(\.id) == ids)
            #expect(running.map(\.startedAt) == (0..<30).map { Duration.seconds($0) })
            #expect(running.map(\.age) == (0..<30).map { Duration.seconds(30 - $0) })

            gate.open()
            _ = await events.readUntilFinished(ids)
            await clock.advance(by: .seconds(100))
            let ended = await registry.snapshot()
            #expect(ended.map(\.id) == ids)
            #expect(ended.allSatisfy { $0.endedAt == .seconds(30) })
            #expect(ended.map(\.age) == (0..<30).map { Duration.seconds(30 - $0) })
            #expect(ended.map { $0.age(at: .seconds(500)) } == ended.map(\.age))
        }

        @Test("Only the last 50 finished tasks stay listed, while active tasks stay regardless of age")
        func keepsLastFiftyFinished() async throws {
            let registry = TaskRegistry()
            let events = registry.events.subscribe().tasks
            let gate = Gate()
            let active = try await registry.start(.foreground()) { _ in try await gate.wait(); return "done" }
            var ids: [TaskID] = []
            for _ in 0..<70 { ids.append(try await registry.start(.foreground()) { _ in "quick" }) }
            var finishOrder: [TaskID] = []
            _ = await events.read(until: { event in
                if let id = event.finishedID { finishOrder.append(id) }
                return finishOrder.count == 70
            })
            let listed = await registry.snapshot().map(\.id)
            #expect(listed.count == 51)
            #expect(listed == ([active] + finishOrder.suffix(50)).sorted())
            #expect(await registry.snapshot(of: finishOrder[0]) == nil)
            gate.open()
            _ = await events.readUntilFinished(active)
            #expect(await registry.snapshot().count == 50)
        }
    }

    // MARK: - Shutting down

    @Suite("Shutting down")
    struct ShuttingDown {
        @Test("Shutdown cancels every active task, reports them, and has every end on the bus before it returns")
        func cancelsEverything() async throws {
            let registry = TaskRegistry(clock: TestClock())
            let events = registry.events.subscribe().tasks
            let gate = Gate()
            let done = try await registry.start(.foreground()) { _ in "done early" }
            _ = await events.readUntilFinished(done)
            var active: [TaskID] = []
            active.append(try await registry.start(.background()) { _ in try await gate.wait(); return "x" })
            active.append(try await registry.start(.foreground()) { _ in try await gate.wait(); return "x" })
            active.append(try await registry.start(.background("make", kind: .shell)) { _ in try await gate.wait(); return "x" })
            await gate.untilArrivals(3)

            let report = await registry.shutdown()
            #expect(report.cancelled.map(\.id) == active)
            #expect(report.cancelled.allSatisfy { $0.status == .cancelled(by: .shutdown) })
            #expect(report.stragglers.isEmpty)
            #expect(await registry.activeTasks == 0)
            #expect(await registry.isShutDown)

            registry.events.finish()
            let rest = await events.readToEnd()
            #expect(rest.compactMap(\.finishedID).sorted() == active, "buffered events are still delivered before the end")
        }

        @Test("A body that ignores cancellation past the grace period is reported as a straggler")
        func reportsStragglers() async throws {
            let clock = TestClock()
            let registry = TaskRegistry(configuration: .init(shutdownGrace: .seconds(5)), clock: clock)
            let (polite, stubborn) = (Gate(), Gate())
            let quick = try await registry.start(.background()) { _ in try await polite.wait(); return "x" }
            let slow = try await registry.start(.background()) { _ in await stubborn.waitIgnoringCancellation(); return "late" }
            await polite.untilArrivals(1)
            await stubborn.untilArrivals(1)

            async let pending = registry.shutdown()
            await clock.untilSleeping()
            await clock.advance(by: .seconds(5))
            let report = await pending
            #expect(report.cancelled.map(\.id) == [quick, slow])
            #expect(report.cancelled.first?.status == .cancelled(by: .shutdown))
            #expect(report.stragglers.map(\.id) == [slow])
            #expect(report.stragglers.first?.status == .running(step: 0, activity: nil))
            #expect(report.stragglers.first?.cancelRequested == .shutdown)

            // Once it stops, it ends cancelled; a second shutdown finds nothing left over.
            stubborn.open()
            let second = await registry.shutdown()
            #expect(second.stragglers.isEmpty)
            #expect(await registry.snapshot(of: slow)?.status == .cancelled(by: .shutdown))
        }

        @Test("A body that ignores cancellation for a while but stops within the grace period is no straggler")
        func slowButInTime() async throws {
            let clock = TestClock()
            let registry = TaskRegistry(configuration: .init(shutdownGrace: .seconds(5)), clock: clock)
            let stubborn = Gate()
            let slow = try await registry.start(.background()) { _ in await stubborn.waitIgnoringCancellation(); return "late" }
            await stubborn.untilArrivals(1)

            async let pending = registry.shutdown()
            await clock.untilSleeping()
            await clock.advance(by: .seconds(4))
            stubborn.open()
            let report = await pending
            #expect(report.stragglers.isEmpty)
            #expect(report.cancelled.map(\.id) == [slow])
            #expect(report.cancelled.first?.status == .cancelled(by: .shutdown))
            try await clock.checkSuspension()
        }

        @Test("Starts after shutdown are refused, and preflight agrees")
        func refusesAfterShutdown() async throws {
            let registry = TaskRegistry(clock: TestClock())
            _ = await registry.shutdown()
            let ran = Recorder<TaskID>()
            await #expect(throws: TaskRegistry.StartRefusal.shutDown) {
                try await registry.start(.foreground()) { context in ran.record(context.id); return "never" }
            }
            await #expect(throws: TaskRegistry.StartRefusal.shutDown) {
                try await registry.start(.background()) { context in ran.record(context.id); return "never" }
            }
            #expect(await registry.preflight(mode: .foreground) == .shutDown)
            #expect(await registry.preflight(mode: .background) == .shutDown)
            #expect(TaskRegistry.StartRefusal.shutDown.description == "Cannot start task: Muster is shutting down.")
            #expect(await registry.snapshot().isEmpty)
            #expect(ran.count == 0)
            // The bus is the session's: the registry leaves it open (the session ends it, see SessionTests).
            let later = registry.events.subscribe()
            registry.events.publish(.warning("still open"))
            #expect(await later.next() == .warning("still open"))
        }
    }

    // MARK: - Events

    @Suite("Events")
    struct Events {
        @Test("Every transition reaches every subscriber, in order")
        func everyTransitionInOrder() async throws {
            let registry = TaskRegistry()
            let subscribers = (0..<3).map { _ in registry.events.subscribe().tasks }
            let gates = [Gate(), Gate(), Gate()]
            let id = try await registry.start(.foreground()) { context in
                try await gates[0].wait()
                await context.report(step: 1, activity: "read README.md")
                try await gates[1].wait()
                await context.report(step: 2, activity: "grep TODO")
                try await gates[2].wait()
                return "2 TODOs"
            }
            var seen = Array(repeating: [TaskRegistryEvent](), count: subscribers.count)
            for (step, gate) in gates.enumerated() {
                for (index, subscriber) in subscribers.enumerated() {
                    seen[index] += await subscriber.read(until: { $0.showsRunning(id, step: step) })
                }
                gate.open()
            }
            for (index, subscriber) in subscribers.enumerated() {
                seen[index] += await subscriber.read(until: { $0.finishedID == id })
            }
            for events in seen {
                #expect(events.map(\.caseWord) == ["started", "updated", "updated", "updated", "finished"])
                #expect(events.map(\.snapshot?.status) == [
                    .pending,
                    .running(step: 0, activity: nil),
                    .running(step: 1, activity: "read README.md"),
                    .running(step: 2, activity: "grep TODO"),
                    .completed(summary: "2 TODOs"),
                ])
            }
        }

        @Test("Each task publishes exactly one finished event, whether it completes, fails or is cancelled")
        func exactlyOneFinishedPerTask() async throws {
            let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: 100), clock: TestClock())
            let watcher = registry.events.subscribe().tasks
            let subscribers = (0..<3).map { _ in registry.events.subscribe().tasks }
            let gate = Gate()
            var ids: [TaskID] = []
            for index in 0..<30 {
                ids.append(try await registry.start(index.isMultiple(of: 2) ? .background() : .foreground()) { context in
                    for step in 1...5 { await context.report(step: step, activity: "step \(step)") }
                    switch index % 3 {
                    case 0: return "done"
                    case 1: throw DescribedError(description: "boom")
                    default: try await gate.wait(); return "opened"
                    }
                })
            }
            await gate.untilArrivals(10)
            for (index, id) in ids.enumerated() where index % 3 == 2 { await registry.cancel(id) }
            _ = await watcher.readUntilFinished(ids)
            _ = await registry.shutdown()
            registry.events.finish()

            for subscriber in subscribers {
                let finished = await subscriber.readToEnd().compactMap { event -> TaskSnapshot? in
                    if case .finished(let snapshot) = event { snapshot } else { nil }
                }
                #expect(finished.map(\.id).sorted() == ids, "one finished event per task, no more")
                for snapshot in finished {
                    let expected: TaskStatus = switch (snapshot.id.rawValue - 1) % 3 {
                    case 0: .completed(summary: "done")
                    case 1: .failed(error: "boom")
                    default: .cancelled(by: .user)
                    }
                    #expect(snapshot.status == expected)
                }
            }
        }

        @Test("Per task, events arrive started first, updates in order with the latest state kept, and finished last")
        func perTaskOrder() async throws {
            let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: 100), clock: TestClock())
            let subscribers = (0..<3).map { _ in registry.events.subscribe().tasks }
            var ids: [TaskID] = []
            for index in 0..<30 {
                ids.append(try await registry.start(.background()) { context in
                    for step in 1...5 { await context.report(step: step, activity: "step \(step)") }
                    if index.isMultiple(of: 3) { throw DescribedError(description: "boom") }
                    return "done"
                })
            }
            // One subscriber reads as events come; the others only once everything has finished.
            var running = Set(ids)
            var live = await subscribers[0].read(until: { event in
                if let id = event.finishedID { running.remove(id) }
                return running.isEmpty
            })
            _ = await registry.shutdown()
            registry.events.finish()
            live += await subscribers[0].readToEnd()
            var logs = [live]
            for subscriber in subscribers.dropFirst() { logs.append(await subscriber.readToEnd()) }

            for log in logs {
                for id in ids {
                    let own = log.filter { $0.snapshot?.id == id }
                    #expect(own.first?.caseWord == "started")
                    #expect(own.last?.caseWord == "finished")
                    #expect(own.filter { $0.caseWord == "finished" }.count == 1)
                    let steps = own.compactMap { event -> Int? in
                        if case .running(let step, _) = event.snapshot?.status { step } else { nil }
                    }
                    #expect(steps == steps.sorted(), "updates never go back in time")
                    #expect(steps.last == 5, "the latest update is kept, never lost to coalescing")
                }
            }
        }
    }
}
