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

    @Test("a handle calls its handler once: at once when already interrupted, else when interrupted")
    func handle() {
        let calls = Locked(0)
        let early = ModelInterruption()
        early.onInterrupt { calls.withLock { $0 += 1 } }
        #expect(calls.withLock { $0 } == 0 && !early.isInterrupted)
        early.interrupt()
        early.interrupt()
        #expect(calls.withLock { $0 } == 1 && early.isInterrupted)
        let late = ModelInterruption()
        late.interrupt()
        late.onInterrupt { calls.withLock { $0 += 10 } }
        #expect(calls.withLock { $0 } == 11)
    }

    @Test("on the real clock the model honours interruption; on another clock it does not")
    func honours() throws {
        let script = try ScriptLoader.load(text: Self.hourLong)
        #expect(ScriptedModel(script: script, clock: ContinuousClock()).honoursInterruption)
        #expect(!ScriptedModel(script: script, clock: SuspendingClock()).honoursInterruption)
    }

    @Test("interrupting a call in an hour-long pause ends its stream at once with CancellationError and withdraws the pause")
    func interruptDuringPause() async throws {
        let model = ScriptedModel(script: try ScriptLoader.load(text: Self.hourLong), clock: ContinuousClock())
        let handle = ModelInterruption()
        var events = model.streamTurn(ModelRequest(agentName: "main", messages: [.user("x")], tools: [], interruption: handle)).makeAsyncIterator()
        #expect(try await events.next() == .textDelta("a"))
        #expect(model.pauses?.pendingCount == 1)
        let start = ContinuousClock.now
        handle.interrupt()
        await #expect(throws: CancellationError.self) { _ = try await events.next() }
        #expect(ContinuousClock.now - start < .seconds(30))
        #expect(model.pauses?.pendingCount == 0)
        #expect(try await events.next() == nil)
    }

    @Test("a call interrupted before it streams yields nothing and throws CancellationError")
    func interruptedFirst() async throws {
        let model = ScriptedModel(script: try ScriptLoader.load(text: Self.hourLong), clock: ContinuousClock())
        let handle = ModelInterruption()
        handle.interrupt()
        var events = model.streamTurn(ModelRequest(agentName: "main", messages: [.user("x")], tools: [], interruption: handle)).makeAsyncIterator()
        await #expect(throws: CancellationError.self) { _ = try await events.next() }
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
