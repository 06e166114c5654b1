import Foundation
@testable import MusterCore
@testable import MusterScripted
import Testing

/// The scripted model on the real clock honours a call's interruption: a pause or a time budget
/// ends its step from outside, with no child task per model call.
@Suite("The scripted model's interruption from outside", .timeLimit(.minutes(1)))
struct ScriptedInterruptionTests {
    /// "a" at once, then an hour before "b".
    static let hourLong = #"{"version": 1, "agents": {"main": {"scenarios": [{"name": "slow", "turns": [{"say": "ab", "chunk_chars": 1, "chunk_delay_ms": 3600000}]}]}}}"#

    /// Records when it is told to stop.
    final class Producer: ModelEventProducer {
        let stops = Locked(0)
        func stopProducing() { stops.withLock { $0 += 1 } }
    }

    @Test("a feed hands over what was yielded, in order, then its end; interrupted, its producer is told once and its reader gets CancellationError")
    func feed() async throws {
        let feed = ModelEventFeed()
        let producer = Producer()
        feed.attach(producer)
        feed.yield(.textDelta("a"))
        feed.yield(.textDelta("b"))
        #expect(try await feed.next() == .textDelta("a"))
        #expect(feed.bufferedCount == 1)
        feed.interrupt()
        feed.interrupt()
        #expect(producer.stops.withLock { $0 } == 1)
        #expect(feed.bufferedCount == 0)
        await #expect(throws: CancellationError.self) { _ = try await feed.next() }
        feed.yield(.textDelta("c"))
        await #expect(throws: CancellationError.self) { _ = try await feed.next() }

        let finished = ModelEventFeed()
        finished.attach(producer)
        finished.yield(.textDelta("x"))
        finished.finish()
        #expect(try await finished.next() == .textDelta("x"))
        #expect(try await finished.next() == nil)
        // A producer attached to a feed that has ended is told to stop at once.
        let late = Producer()
        feed.attach(late)
        #expect(producer.stops.withLock { $0 } == 1 && late.stops.withLock { $0 } == 1)
    }

    @Test("a feed's reader cancelled while it waits gets CancellationError at once and its producer is told to stop")
    func cancelledReader() async throws {
        let feed = ModelEventFeed()
        let producer = Producer()
        feed.attach(producer)
        let reader = Task { try await feed.next() }
        reader.cancel()
        await #expect(throws: CancellationError.self) { _ = try await reader.value }
        #expect(producer.stops.withLock { $0 } == 1)
    }

    @Test("on the real clock the model plays a turn into a feed; on another clock it does not")
    func feeds() throws {
        let script = try ScriptLoader.load(text: Self.hourLong)
        let request = ModelRequest(agentName: "main", messages: [.user("x")], tools: [])
        #expect(ScriptedModel(script: script, clock: ContinuousClock()).feedTurn(request) != nil)
        #expect(ScriptedModel(script: script, clock: SuspendingClock()).feedTurn(request) == nil)
    }

    @Test("interrupting a call in an hour-long pause ends its feed at once with CancellationError and withdraws the pause")
    func interruptDuringPause() async throws {
        let model = ScriptedModel(script: try ScriptLoader.load(text: Self.hourLong), clock: ContinuousClock())
        let feed = try #require(model.feedTurn(ModelRequest(agentName: "main", messages: [.user("x")], tools: [])))
        #expect(try await feed.next() == .textDelta("a"))
        #expect(model.pauses?.pendingCount == 1)
        let start = ContinuousClock.now
        let reader = Task { try await feed.next() }
        feed.interrupt()
        await #expect(throws: CancellationError.self) { _ = try await reader.value }
        #expect(ContinuousClock.now - start < .seconds(30))
        #expect(model.pauses?.pendingCount == 0)
    }

    @Test("a call interrupted before it is read yields nothing and throws CancellationError")
    func interruptedFirst() async throws {
        let model = ScriptedModel(script: try ScriptLoader.load(text: Self.hourLong), clock: ContinuousClock())
        let feed = try #require(model.feedTurn(ModelRequest(agentName: "main", messages: [.user("x")], tools: [])))
        feed.interrupt()
        await #expect(throws: CancellationError.self) { _ = try await feed.next() }
        #expect(model.pauses?.pendingCount == 0)
    }

    @Test("a consumer dropping the stream mid-pause withdraws the pause")
    func droppedStream() async throws {
        let model = ScriptedModel(script: try ScriptLoader.load(text: Self.hourLong), clock: ContinuousClock())
        do {
            var events = model.streamTurn(ModelRequest(agentName: "main", messages: [.user("x")], tools: [])).makeAsyncIterator()
            #expect(try await events.next() == .textDelta("a"))
            #expect(model.pauses?.pendingCount == 1)
        }
        #expect(model.pauses?.pendingCount == 0)
    }

    @Test("a background agent paused in an hour-long scripted step leaves it at once; resumed, it asks again; stopped, it ends cancelled with no call counted")
    func pauseAgentMidStep() async throws {
        let script = try ScriptLoader.load(text: Self.hourLong.replacingOccurrences(of: "\"main\"", with: "\"worker\""))
        let model = ScriptedModel(script: script, clock: ContinuousClock())
        let registry = TaskRegistry()
        let runtime = AgentRuntime(registry: registry, model: model, tools: [], workspace: URL(fileURLWithPath: NSTemporaryDirectory()))
        let events = runtime.events.subscribe()
        var iterator = events.makeAsyncIterator()
        let parked = AsyncStream<TaskID>.makeStream()
        await registry.observeResumeWaits { parked.continuation.yield($0) }
        let id = try await runtime.startBackgroundAgent(name: "worker", prompt: "work", spawner: .topLevel)

        // Waits for the step's first chunk: the call is in flight, in its hour-long pause.
        func untilStreaming() async {
            while let event = await iterator.next() {
                if case .textDelta(let agent, "a") = event, agent.taskID == id { return }
            }
        }
        await untilStreaming()
        #expect(model.pauses?.pendingCount == 1)
        guard case .paused = await registry.pause(id) else { Issue.record("not paused"); return }
        var parkedIDs = parked.stream.makeAsyncIterator()
        // The call ended and the body waits at its pause: the hour-long pause was withdrawn.
        #expect(await parkedIDs.next() == id)
        #expect(model.pauses?.pendingCount == 0)
        #expect(await registry.snapshot(of: id)?.usage.modelCalls == 0)

        guard case .resumed = await registry.resume(id) else { Issue.record("not resumed"); return }
        await untilStreaming()
        #expect(model.pauses?.pendingCount == 1)
        await registry.cancel(id)
        while let event = await iterator.next() {
            guard case .task(.finished(let task)) = event, task.id == id else { continue }
            #expect(task.status == .cancelled(by: .user))
            #expect(task.usage.modelCalls == 0)
            break
        }
        #expect(model.pauses?.pendingCount == 0)
        _ = await registry.shutdown(grace: .seconds(1))
    }

    @Test("a time budget running out in an hour-long scripted step ends the step at the deadline; the agent then reports")
    func deadlineMidStep() async throws {
        let script = try ScriptLoader.load(text: #"""
            {"version": 1, "agents": {"worker": {"scenarios": [
              {"name": "report", "match": "Stop here", "turns": [{"say": "my report"}]},
              {"name": "slow", "turns": [{"say": "ab", "chunk_chars": 1, "chunk_delay_ms": 3600000}]}]}}}
            """#)
        let model = ScriptedModel(script: script, clock: ContinuousClock())
        let registry = TaskRegistry()
        let runtime = AgentRuntime(registry: registry, model: model, tools: [], workspace: URL(fileURLWithPath: NSTemporaryDirectory()))
        let events = runtime.events.subscribe()
        let start = ContinuousClock.now
        let id = try await runtime.startBackgroundAgent(name: "worker", prompt: "work", spawner: .topLevel, budget: TaskBudget(maxSeconds: 1))
        for await event in events {
            guard case .task(.finished(let task)) = event, task.id == id else { continue }
            guard case .budgetExhausted(_, let report) = task.status else {
                Issue.record("ended \(task.status)")
                break
            }
            #expect(report == "my report")
            // The cut call counts nothing; the report is the one model call.
            #expect(task.usage.modelCalls == 1)
            break
        }
        #expect(ContinuousClock.now - start >= .seconds(1))
        #expect(ContinuousClock.now - start < .seconds(30))
        #expect(model.pauses?.pendingCount == 0)
    }
}
