import Foundation
@testable import MusterCore
import Testing

@Suite("Pausing and resuming an agent")
struct PauseResumeTests {
    /// A model that records an issue whenever it is called while its agent is paused.
    static func guarded(
        _ registry: @escaping @Sendable () -> TaskRegistry?,
        _ respond: @escaping ClosureModel.Respond
    ) -> ClosureModel {
        ClosureModel { agent, turn, request in
            if let registry = registry() {
                let paused = await registry.snapshot().filter { $0.name == agent && $0.isPaused }
                #expect(paused.isEmpty, "the model was called while \(agent) was paused")
            }
            return try await respond(agent, turn, request)
        }
    }

    @Test("an agent paused before a model call makes none until it is resumed, then makes it once")
    func pauseBeforeModelCall() async throws {
        let registryBox = Locked<TaskRegistry?>(nil)
        let model = Self.guarded({ registryBox.withLock { $0 } }) { _, _, _ in [.textDelta("done"), .end] }
        let runtime = makeRuntime(model: model, tools: [])
        registryBox.withLock { $0 = runtime.registry }
        let registry = runtime.registry
        let events = runtime.events.subscribe().tasks
        let atStart = Gate()
        let id = try await registry.start(.background("worker")) { context in
            try await atStart.wait()
            var conversation: [ChatMessage] = [.user("work")]
            return try await runtime.run(agent: AgentRef(name: "worker", taskID: context.id), conversation: &conversation, task: context)
        }
        await atStart.untilArrivals(1)
        guard case .paused(let snapshot) = await registry.pause(id) else { Issue.record("not paused"); return }
        #expect(snapshot.statusWord == "paused")
        #expect(await registry.runningBackgroundAgents == 0)
        let parked = Gate()
        await registry.observeResumeWaits { _ in parked.open() }
        atStart.open()
        // The step begins (it says so) and then waits at the pause instead of calling the model.
        _ = await events.read { event in
            if case .updated(let task) = event, task.id == id, case .paused(1, "thinking") = task.status { return true }
            return false
        }
        try await parked.wait()
        #expect(model.calls.count("worker") == 0)
        guard case .resumed = await registry.resume(id) else { Issue.record("not resumed"); return }
        let finished = await events.readUntilFinished(id)
        #expect(finished?.status == .completed(summary: "done"))
        #expect(model.calls.count("worker") == 1)
    }

    @Test("stopping an agent that waits at its pause ends it cancelled, without a model call")
    func stopWhilePaused() async throws {
        let model = ClosureModel { _, _, _ in [.textDelta("never"), .end] }
        let runtime = makeRuntime(model: model, tools: [])
        let registry = runtime.registry
        let tasks = runtime.events.subscribe().tasks
        let atStart = Gate()
        let parked = Gate()
        await registry.observeResumeWaits { _ in parked.open() }
        let id = try await registry.start(.background("worker")) { context in
            try await atStart.wait()
            var conversation: [ChatMessage] = [.user("work")]
            return try await runtime.run(agent: AgentRef(name: "worker", taskID: context.id), conversation: &conversation, task: context)
        }
        await atStart.untilArrivals(1)
        guard case .paused = await registry.pause(id) else { Issue.record("not paused"); return }
        atStart.open()
        try await parked.wait()
        await registry.cancel(id)
        #expect(await tasks.readUntilFinished(id)?.status == .cancelled(by: .user))
        #expect(model.calls.count("worker") == 0)
        #expect(await registry.suspendedControlWaits == 0)
    }

    @Test("a pause mid-stream cancels the model request at once; on resume it is asked again and the partial answer is not kept")
    func pauseMidStream() async throws {
        let streaming = Gate()
        let cancelled = Gate()
        let calls = Tally()
        let midStream = ClosureModel { agent, _, _ in
            calls.add(agent)
            if calls.count(agent) == 1 {
                do {
                    try await streaming.wait()
                } catch {
                    cancelled.open()
                    throw error
                }
            }
            return [.textDelta("final"), .end]
        }
        let runtime = makeRuntime(model: midStream, tools: [])
        let registry = runtime.registry
        let bus = runtime.events.subscribe()
        let id = try await runtime.startBackgroundAgent(name: "worker", prompt: "work", spawner: .topLevel)
        await streaming.untilArrivals(1)
        guard case .paused = await registry.pause(id) else { Issue.record("not paused"); return }
        // The request in flight is cancelled by the pause itself, with no resume and no stop.
        try await cancelled.wait()
        #expect(await registry.snapshot(of: id)?.isPaused == true)
        #expect(calls.count("worker") == 1)
        guard case .resumed = await registry.resume(id) else { Issue.record("not resumed"); return }
        let finished = await bus.tasks.readUntilFinished(id)
        #expect(finished?.status == .completed(summary: "final"))
        #expect(calls.count("worker") == 2)
        // Only the answered request counts: the cancelled one spent nothing.
        #expect(finished?.usage.modelCalls == 1)
    }

    @Test("a pause during a tool call lets the tool finish and keeps its result; the next model call waits for the resume")
    func pauseDuringToolCall() async throws {
        let latch = Gate()
        let completions = Tally()
        let registryBox = Locked<TaskRegistry?>(nil)
        let sawToolResult = Locked(false)
        let model = Self.guarded({ registryBox.withLock { $0 } }) { _, turn, request in
            if turn == 0 { return [.call("block"), .end] }
            let result = request.messages.contains { if case .tool(_, "block", "unblocked") = $0 { true } else { false } }
            sawToolResult.withLock { $0 = result }
            return [.textDelta("done"), .end]
        }
        let runtime = makeRuntime(model: model, tools: [BlockTool(latch: latch, completions: completions)])
        registryBox.withLock { $0 = runtime.registry }
        let registry = runtime.registry
        let bus = runtime.events.subscribe()
        let id = try await runtime.startBackgroundAgent(name: "worker", prompt: "work", spawner: .topLevel)
        _ = await bus.collect { event in
            if case .toolProgress(let agent, _, "blocking", _) = event { return agent.taskID == id }
            return false
        }
        guard case .paused = await registry.pause(id) else { Issue.record("not paused"); return }
        let parked = Gate()
        await registry.observeResumeWaits { _ in parked.open() }
        latch.open()
        let tasks = bus.tasks
        // The tool ends while paused (its end is reported) and the next step waits.
        _ = await tasks.read { event in
            if case .updated(let task) = event, task.id == id, case .paused(2, "thinking") = task.status { return true }
            return false
        }
        try await parked.wait()
        #expect(completions.count("worker") == 1)
        #expect(model.calls.count("worker") == 1)
        guard case .resumed = await registry.resume(id) else { Issue.record("not resumed"); return }
        let finished = await tasks.readUntilFinished(id)
        #expect(finished?.status == .completed(summary: "done"))
        #expect(sawToolResult.withLock { $0 })
        #expect(model.calls.count("worker") == 2)
    }

    @Test("a paused agent holds no cap slot; resuming it while the cap is full is refused with the cap message")
    func capWhilePaused() async throws {
        let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: 1))
        let tasks = registry.events.subscribe().tasks
        let forever = Gate()
        let first = try await registry.start(.background("first")) { _ in try await forever.wait(); return "" }
        guard case .paused = await registry.pause(first) else { Issue.record("not paused"); return }
        #expect(await registry.runningBackgroundAgents == 0)
        let second = try await registry.start(.background("second")) { _ in try await forever.wait(); return "" }
        guard case .refused(let refusal, let snapshot) = await registry.resume(first) else { Issue.record("resumed past the cap"); return }
        #expect(refusal == .capReached(limit: 1))
        #expect(refusal.description.contains("maximum concurrent background agents (1) reached"))
        #expect(snapshot.isPaused)
        await registry.cancel(second)
        _ = await tasks.readUntilFinished(second)
        guard case .resumed = await registry.resume(first) else { Issue.record("not resumed"); return }
        #expect(await registry.runningBackgroundAgents == 1)
        // Stopping a paused agent ends it cancelled, like any other.
        guard case .paused = await registry.pause(first) else { Issue.record("not paused"); return }
        await registry.cancel(first)
        #expect(await tasks.readUntilFinished(first)?.status == .cancelled(by: .user))
    }

    @Test("pause all and resume all: every running agent pauses; resume all resumes while the cap allows and names the rest")
    func pauseAndResumeAll() async throws {
        let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: 2))
        let forever = Gate()
        let a = try await registry.start(.background("a")) { _ in try await forever.wait(); return "" }
        let b = try await registry.start(.background("b")) { _ in try await forever.wait(); return "" }
        #expect(await registry.pauseAll() == [a, b])
        #expect(await registry.pauseAll() == [])
        let c = try await registry.start(.background("c")) { _ in try await forever.wait(); return "" }
        let outcome = await registry.resumeAll()
        #expect(outcome.resumed == [a])
        #expect(outcome.refused == [b])
        #expect(outcome.refusal == .capReached(limit: 2))
        _ = c
        _ = await registry.shutdown(grace: .seconds(5))
    }

    @Test("pauses and resumes racing an agent's model calls lose no wake-up: it ends completed, each answered turn counted once, no watch left")
    func pauseResumeRace() async throws {
        for _ in 0..<20 {
            let model = ClosureModel { _, turn, _ in
                // Suspensions inside each call, so that pauses land mid-call as well as between calls.
                for _ in 0..<20 { await Task.yield() }
                return turn < 30 ? [.call("emit", ["tag": .string("t\(turn)")]), .end] : [.textDelta("done"), .end]
            }
            let runtime = makeRuntime(model: model, tools: [EmitTool()], subAgentStepLimit: 100)
            let registry = runtime.registry
            let tasks = runtime.events.subscribe().tasks
            let id = try await runtime.startBackgroundAgent(name: "worker", prompt: "work", spawner: .topLevel)
            // 200 pauses and resumes racing its calls (fewer if it ends first), then it runs on
            // alone. Flipping until it ended starved it: a turn completes only in a window
            // between two flips, and one run took 190 s.
            let flips = Task {
                for _ in 0..<200 {
                    if await registry.snapshot(of: id)?.isTerminal ?? true { break }
                    await registry.pause(id)
                    await Task.yield()
                    await registry.resume(id)
                }
            }
            await flips.value
            let finished = await tasks.readUntilFinished(id)
            #expect(finished?.status == .completed(summary: "done"))
            #expect(finished?.usage.modelCalls == 31, "answered turns only; a call a pause ended is asked again")
            #expect(await registry.suspendedControlWaits == 0)
            #expect(model.calls.count("worker") >= 31)
        }
    }
}

@Suite("Messages to a running agent")
struct AgentMessageTests {
    @Test("messages are read in order before the next model call, each with a receipt and a read event")
    func orderAndReceipts() async throws {
        let latch = Gate()
        let completions = Tally()
        let seen = Locked<[String]>([])
        let model = ClosureModel { _, turn, request in
            if request.messages.contains(where: { if case .tool = $0 { true } else { false } }), seen.withLock({ $0.isEmpty }) {
                let texts = request.messages.compactMap { message -> String? in
                    if case .user(let text) = message, text.hasPrefix("[Message from") { text } else { nil }
                }
                seen.withLock { $0 = texts }
                return [.textDelta("done"), .end]
            }
            return turn == 0 ? [.call("block"), .end] : [.textDelta("done"), .end]
        }
        let runtime = makeRuntime(model: model, tools: [BlockTool(latch: latch, completions: completions)])
        let session = Session(runtime: runtime)
        await session.start()
        let bus = session.events.subscribe()
        let id = try await runtime.startBackgroundAgent(name: "worker", prompt: "work", spawner: .topLevel)
        _ = await bus.collect { event in
            if case .toolProgress(let agent, _, "blocking", _) = event { return agent.taskID == id }
            return false
        }
        await session.send(.submit("/tasks send \(id) first   message"))
        await session.send(.sendMessage(id, "second"))
        var replies: [CommandReply] = []
        _ = await bus.collect { event in
            if case .reply(let reply) = event { replies.append(reply) }
            return replies.count == 2
        }
        #expect(replies == [
            .messageQueued(.init(id: id, name: "worker"), ahead: 0, paused: false),
            .messageQueued(.init(id: id, name: "worker"), ahead: 1, paused: false),
        ])
        latch.open()
        var read: [Int] = []
        _ = await bus.collect { event in
            if case .task(.message(let message)) = event, message.stage == .read { read.append(message.message.number) }
            return read.count == 2
        }
        #expect(read == [1, 2])
        let finished = await bus.tasks.readUntilFinished(id)
        #expect(finished?.status == .completed(summary: "done"))
        #expect(seen.withLock { $0 } == [
            "[Message from the person while you work]\nfirst   message",
            "[Message from the person while you work]\nsecond",
        ])
        _ = await session.shutdown()
    }

    @Test("a message to a finished agent is refused with its status; to a paused one it waits until the resume")
    func finishedAndPaused() async throws {
        let registry = TaskRegistry()
        let tasks = registry.events.subscribe().tasks
        let done = try await registry.start(.background("done")) { _ in "ok" }
        _ = await tasks.readUntilFinished(done)
        guard case .refused(let snapshot) = await registry.sendMessage("hello", to: done) else { Issue.record("not refused"); return }
        #expect(snapshot.statusWord == "completed")
        #expect(ReplyFormatter.lines(for: .messageRefused(snapshot)).map(\.text) == ["Task #1 (done) is completed: message not sent."])

        let forever = Gate()
        let waiting = try await registry.start(.background("waiting")) { context in
            try await forever.wait()
            try await context.untilRunning()
            return (await context.takeMessages()).map(\.text).joined()
        }
        guard case .paused = await registry.pause(waiting) else { Issue.record("not paused"); return }
        guard case .queued(_, 0, let queued) = await registry.sendMessage("later", to: waiting) else { Issue.record("not queued"); return }
        #expect(queued.isPaused)
        forever.open()
        #expect(await registry.unreadMessageCount(for: waiting) == 1)
        _ = await registry.resume(waiting)
        #expect(await tasks.readUntilFinished(waiting)?.status == .completed(summary: "later"))
    }

    @Test("send_message reaches only the caller's own agents")
    func toolIsScoped() async throws {
        let registry = TaskRegistry()
        let forever = Gate()
        let parent = try await registry.start(.background("parent")) { _ in try await forever.wait(); return "" }
        let child = try await registry.start(.background("child", spawner: .task(parent))) { _ in try await forever.wait(); return "" }
        #expect(await registry.sendMessage("hi", to: child, requestedBy: .topLevel) == .forbidden)
        guard case .queued(let message, 0, _) = await registry.sendMessage("hi", to: child, requestedBy: .task(parent)) else {
            Issue.record("not queued"); return
        }
        #expect(message.sender == .agent(.task(parent)))
        _ = await registry.shutdown(grace: .seconds(5))
    }

    @Test("an agent that ends with unread messages reports each as dropped")
    func droppedOnEnd() async throws {
        let registry = TaskRegistry()
        let bus = registry.events.subscribe()
        let hold = Gate()
        let id = try await registry.start(.background("quick")) { _ in try await hold.wait(); return "ok" }
        _ = await registry.sendMessage("too late", to: id)
        hold.open()
        let events = await bus.tasks.read { event in
            if case .message(let message) = event, case .dropped = message.stage { return true }
            return false
        }
        guard case .message(let dropped)? = events.last else { return }
        #expect(dropped.stage == .dropped(status: "completed"))
        #expect(TranscriptLineText.of(dropped) == "#1 quick completed before reading your message.")
    }
}

import MusterPresentation

enum TranscriptLineText {
    static func of(_ event: AgentMessageEvent) -> String? {
        TranscriptFormatter.messageLine(for: event)?.text
    }
}
