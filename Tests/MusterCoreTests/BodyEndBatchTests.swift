import Clocks
@testable import MusterCore
import MusterTestSupport
import Testing

/// Bodies that end together are recorded in batches (`BodyMailbox`), and a step that stops
/// everything cancels the bodies off the registry's actor.
@Suite("Bodies ending together", .timeLimit(.minutes(1)))
struct BodyEndBatchTests {
    private static func end(_ id: Int) -> BodyMailbox.Post {
        .ended(BodyMailbox.End(id: TaskID(id), outcome: .returned("done")))
    }

    /// The ids of the ends among `posts`, in order.
    private static func ended(_ posts: [BodyMailbox.Post]) -> [TaskID] {
        posts.compactMap { if case .ended(let end) = $0 { end.id } else { nil } }
    }

    @Test("Only the first end posted since the last drain asks for a drain, and a drain takes every end posted by then, oldest first")
    func mailboxAsksOncePerDrain() throws {
        let mailbox = BodyMailbox()
        let ticket = try #require(mailbox.post(Self.end(1)))
        #expect(mailbox.hasPosts && !mailbox.isTaken(ticket))
        #expect(mailbox.post(Self.end(2)) == nil)
        #expect(mailbox.post(Self.end(3)) == nil)
        #expect(Self.ended(mailbox.take()) == [TaskID(1), TaskID(2), TaskID(3)])
        // Taken by a step: the poster holding the ticket need not drain.
        #expect(mailbox.isTaken(ticket) && !mailbox.hasPosts)
        #expect(mailbox.count == 0)
        // The drain has taken them: the next end must ask again, or it would wait for nobody.
        #expect(mailbox.post(Self.end(4)) != nil)
        #expect(Self.ended(mailbox.take()) == [TaskID(4)])
        #expect(mailbox.take().isEmpty)
    }

    @Test("Ends posted from many threads while drains take them are each drained exactly once, none left behind")
    func mailboxDrainRacingPostsLosesNothing() async {
        for _ in 0..<20 {
            let mailbox = BodyMailbox()
            let drained = Recorder<[TaskID]>()
            let posts = 2_000
            await withTaskGroup(of: Void.self) { group in
                for index in 1...posts {
                    group.addTask {
                        // As the body's wrapper does: the post that asks for a drain drains.
                        if mailbox.post(Self.end(index)) != nil { drained.record(Self.ended(mailbox.take())) }
                    }
                }
            }
            let all = drained.values.flatMap { $0 }
            let missing = Set(1...posts).subtracting(all.map(\.rawValue))
            #expect(missing.isEmpty, "\(missing.count) ends never drained")
            #expect(all.count == posts, "no end drained twice")
            #expect(mailbox.count == 0)
        }
    }

    @Test("Hundreds of bodies ending at once each reach finished exactly once, after started and their updates, with their waits answered and nothing left active")
    func manyBodiesEndTogether() async throws {
        let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: 1_000, keepFinished: 2_000))
        let events = registry.events.subscribe().tasks
        let gate = Gate()
        let returned = Recorder<TaskID>()
        let count = 600
        var ids: [TaskID] = []
        for index in 0..<count {
            let request: TaskRegistry.Request = index % 3 == 0 ? .foreground() : .background()
            ids.append(try await registry.start(request) { context in
                await context.report(step: 1, activity: "waiting")
                await gate.waitIgnoringCancellation()
                returned.record(context.id)
                return "done \(context.id)"
            })
        }
        await gate.untilArrivals(count)
        // A wait for every foreground one, suspended before the bodies end.
        let waited = ids.enumerated().filter { $0.offset % 3 == 0 }.map(\.element)
        async let answers = withTaskGroup(of: (TaskID, TaskRegistry.WaitOutcome).self) { group in
            for id in waited { group.addTask { (id, await registry.wait(for: id, requestedBy: .topLevel)) } }
            var answers: [TaskID: TaskRegistry.WaitOutcome] = [:]
            for await (id, answer) in group { answers[id] = answer }
            return answers
        }
        while await registry.suspendedWaits.machine < waited.count { await Task.yield() }
        gate.open()

        var order: [TaskID: [String]] = [:]
        var finishedAfterReturn = true
        let witness = try await registry.start(.foreground()) { _ in "witness" }
        var seenFinished = 0
        _ = await events.read(until: { event in
            switch event {
            case .started(let task): order[task.id, default: []].append("started")
            case .updated(let task): order[task.id, default: []].append("updated")
            case .finished(let task):
                order[task.id, default: []].append("finished")
                if task.id != witness {
                    seenFinished += 1
                    if !returned.values.contains(task.id) { finishedAfterReturn = false }
                }
            default: break
            }
            return seenFinished == count && order[witness]?.last == "finished"
        })
        #expect(finishedAfterReturn, "a finished event came before its body returned")
        for id in ids {
            let seen = order[id] ?? []
            #expect(seen.first == "started" && seen.last == "finished", "\(id): \(seen)")
            #expect(seen.filter { $0 == "finished" }.count == 1, "\(id): \(seen)")
            #expect(seen.dropFirst().dropLast().allSatisfy { $0 == "updated" }, "\(id): \(seen)")
        }
        let waits = await answers
        #expect(waits.count == waited.count)
        for (id, answer) in waits {
            guard case .finished(let result) = answer else {
                Issue.record("\(id): \(answer)")
                continue
            }
            #expect(result.status == .completed(summary: "done \(id)"))
        }
        #expect(await registry.activeTasks == 0)
        #expect(await registry.runningBackgroundAgents == 0)
        #expect(await registry.suspendedWaits == (0, 0))
        let report = await registry.shutdown(grace: .seconds(5))
        #expect(report.cancelled.isEmpty && report.stragglers.isEmpty)
    }

    @Test("cancelAll returns only once every body has been cancelled, after every stop is on the bus")
    func cancelAllReturnsOnceBodiesAreCancelled() async throws {
        let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: 1_000))
        let events = registry.events.subscribe().tasks
        let gate = Gate()
        let sawCancelled = Recorder<Bool>()
        let count = 500
        for _ in 0..<count {
            _ = try await registry.start(.background()) { _ in
                // Looks at its cancellation only once the gate opens, after cancelAll returned.
                await gate.waitIgnoringCancellation()
                sawCancelled.record(Task.isCancelled)
                return "done"
            }
        }
        await gate.untilArrivals(count)
        let stopped = await registry.cancelAll()
        #expect(stopped.count == count)
        gate.open()
        var stops = 0
        var ends = 0
        var stopsBeforeFirstEnd: Int?
        _ = await events.read(until: { event in
            if case .updated(let task) = event, task.isStopping { stops += 1 }
            if case .finished(let task) = event {
                #expect(task.status == .cancelled(by: .user))
                if stopsBeforeFirstEnd == nil { stopsBeforeFirstEnd = stops }
                ends += 1
            }
            return ends == count
        })
        #expect(stopsBeforeFirstEnd == count)
        #expect(sawCancelled.count == count)
        #expect(sawCancelled.values.allSatisfy { $0 }, "a body was not cancelled when cancelAll returned")
        #expect(await registry.activeTasks == 0)
    }
}
