import Clocks
import Foundation
@testable import MusterCore
import MusterTestSupport
import Testing

/// Budgets per agent: at the limit one last turn without tools, told why, then `budget exhausted`.
@Suite("Agent budgets", .timeLimit(.minutes(1)))
struct BudgetTests {
    /// Starts `worker` in the background with `budget` and returns its final snapshot.
    private func finish(_ runtime: AgentRuntime, budget: TaskBudget, whileRunning: @Sendable () async -> Void = {}) async throws -> TaskSnapshot {
        let events = runtime.events.subscribe()
        let id = try await runtime.startBackgroundAgent(name: "worker", prompt: "work", spawner: .topLevel, budget: budget)
        await whileRunning()
        for await event in events {
            if case .task(.finished(let task)) = event, task.id == id { return task }
        }
        throw CancellationError()
    }

    /// A worker that calls `emit` `perTurn` times a turn, `tokens` per turn, until it has no tools;
    /// then it answers with the last message it was told.
    private static func worker(perTurn: Int = 1, tokens: Int = 10) -> ClosureModel {
        ClosureModel { _, turn, request in
            guard !request.tools.isEmpty else { return [.textDelta("report: " + (request.latestUserMessage ?? "")), .end] }
            return (0..<perTurn).map { .call("emit", ["tag": .string("t\(turn).\($0)")]) } + [.endOfTurn(Usage(inputTokens: tokens, outputTokens: 0))]
        }
    }

    @Test("at its token budget an agent gets one last turn with no tools, told why, and ends 'budget exhausted' with that answer as its report")
    func tokens() async throws {
        let model = Self.worker(tokens: 60)
        let task = try await finish(makeRuntime(model: model, tools: [EmitTool()]), budget: TaskBudget(maxTokens: 100))
        guard case .budgetExhausted(let reason, let report) = task.status else {
            Issue.record("ended \(task.status)")
            return
        }
        #expect(task.statusWord == "budget exhausted")
        #expect(reason.contains("100 tokens (max_tokens)"))
        #expect(report.hasPrefix("report: Stop here: "))
        #expect(report.contains("You can use no more tools."))
        // Two turns spent 120 tokens; the third is the report.
        #expect(task.usage.modelCalls == 3)
        #expect(task.usage.toolCalls == 2)
    }

    @Test("a turn asking for more tool calls than are left runs only those left; the rest are answered 'not run'")
    func toolCalls() async throws {
        let model = Self.worker(perTurn: 3)
        let runtime = makeRuntime(model: model, tools: [EmitTool()])
        let ended = try await finish(runtime, budget: TaskBudget(maxToolCalls: 4))
        #expect(ended.usage.toolCalls == 4)
        #expect(ended.statusWord == "budget exhausted")
        let transcript = await runtime.registry.transcript(of: ended.id)?.lines ?? []
        #expect(transcript.filter { $0.hasPrefix("→ emit") }.count == 4)
    }

    @Test("at its step budget an agent has made exactly that many model calls with tools, then its report")
    func steps() async throws {
        let task = try await finish(makeRuntime(model: Self.worker(), tools: [EmitTool()], subAgentStepLimit: 100), budget: TaskBudget(maxSteps: 2))
        #expect(task.statusWord == "budget exhausted")
        #expect(task.usage.modelCalls == 3)
        #expect(task.stepLimit == 2)
    }

    @Test("a time budget that runs out during a tool call stops the call first, then the agent reports", .timeLimit(.minutes(1)))
    func seconds() async throws {
        let clock = TestClock<Duration>()
        let latch = Gate()
        let completions = Tally()
        let model = ClosureModel { _, _, request in
            guard !request.tools.isEmpty else {
                let told = String(describing: request.messages).contains("Stopped: the budget of 30 seconds (max_seconds) ran out during the call.")
                return [.textDelta(told ? "out of time; the call was stopped" : "out of time"), .end]
            }
            return [.call("block"), .end]
        }
        let runtime = makeRuntime(model: model, tools: [BlockTool(latch: latch, completions: completions)], clock: clock)
        let progress = runtime.events.subscribe(where: { if case .toolProgress(_, _, "blocking", _) = $0 { true } else { false } })
        let task = try await finish(runtime, budget: TaskBudget(maxSeconds: 30)) {
            _ = await progress.collect { _ in true }
            await clock.untilSleeping()
            await clock.advance(by: .seconds(30))
        }
        #expect(task.status == .budgetExhausted(reason: "its budget of 30 seconds (max_seconds) is used up", report: "out of time; the call was stopped"))
        #expect(completions.count("worker") == 0, "the blocked call was stopped, never let through")
    }

    /// A worker whose model calls with tools block at `streaming` until cancelled (which sets
    /// `ended`); a call without tools reports what it was told.
    private static func blockedModelCall(_ streaming: Gate, ended: Locked<Bool>) -> ClosureModel {
        ClosureModel { _, _, request in
            guard !request.tools.isEmpty else { return [.textDelta("report: " + (request.latestUserMessage ?? "")), .end] }
            do {
                try await streaming.wait()
            } catch {
                ended.withLock { $0 = true }
                throw error
            }
            return [.textDelta("the blocked call got through"), .end]
        }
    }

    @Test("a time budget that runs out during a model call ends that call at the deadline, then the agent reports in one last turn with no tools")
    func secondsDuringModelCall() async throws {
        let clock = TestClock<Duration>()
        let (streaming, ended) = (Gate(), Locked(false))
        let model = Self.blockedModelCall(streaming, ended: ended)
        let runtime = makeRuntime(model: model, tools: [EmitTool()], clock: clock)
        let task = try await finish(runtime, budget: TaskBudget(maxSeconds: 30)) {
            await streaming.untilArrivals(1)
            await clock.untilSleeping()
            await clock.advance(by: .seconds(29))
            #expect(!ended.withLock { $0 }, "the call goes on while time is left")
            await clock.advance(by: .seconds(1))
        }
        #expect(ended.withLock { $0 }, "the call in flight was cancelled at the deadline")
        guard case .budgetExhausted(let reason, let report) = task.status else {
            Issue.record("ended \(task.status)")
            return
        }
        #expect(reason == "its budget of 30 seconds (max_seconds) is used up")
        #expect(report.hasPrefix("report: Stop here: its budget of 30 seconds"))
        // The cut call spent nothing; the report is the one model call counted.
        #expect(task.usage.modelCalls == 1)
        #expect(model.calls.count("worker") == 2)
    }

    @Test("a time budget that runs out during a shell call stops the call and every process it started before the agent reports")
    func secondsDuringShellCall() async throws {
        let clock = TestClock<Duration>()
        let command = #"echo "leader $$"; sh -c 'sleep 30 & echo "grandchild $!"; wait' & wait"#
        let model = ClosureModel { _, turn, request in
            guard !request.tools.isEmpty else {
                let told = String(describing: request.messages).contains("Stopped: the budget of 30 seconds (max_seconds) ran out during the call.")
                return [.textDelta(told ? "told the call was stopped" : "not told"), .end]
            }
            return turn == 0 ? [.call("shell", ["command": .string(command)]), .end] : [.textDelta("unexpected"), .end]
        }
        let runtime = makeRuntime(model: model, tools: [ShellTool()], clock: clock)
        let progress = runtime.events.subscribe(where: { if case .toolProgress = $0 { true } else { false } })
        let pids = Locked<[String: pid_t]>([:])
        let task = try await finish(runtime, budget: TaskBudget(maxSeconds: 30)) {
            for await event in progress {
                guard case .toolProgress(_, _, let line, _) = event else { continue }
                let parts = line.split(separator: " ")
                if parts.count == 2, let pid = pid_t(parts[1]) { pids.withLock { $0[String(parts[0])] = pid } }
                if pids.withLock({ $0.count }) == 2 { break }
            }
            await clock.untilSleeping()
            await clock.advance(by: .seconds(30))
        }
        #expect(task.status == .budgetExhausted(reason: "its budget of 30 seconds (max_seconds) is used up", report: "told the call was stopped"))
        let leader = try #require(pids.withLock { $0["leader"] })
        let grandchild = try #require(pids.withLock { $0["grandchild"] })
        #expect(await ProcessWatch.waitUntil(deadline: .now + .seconds(5)) { ProcessWatch.livingMembers(ofGroup: leader).isEmpty })
        #expect(!ProcessWatch.isAlive(grandchild))
    }

    @Test("a time budget that runs out during a turn's calls keeps the result of a call that had finished and says the other was stopped")
    func secondsDuringBatch() async throws {
        let clock = TestClock<Duration>()
        let told = Locked<[ChatMessage]>([])
        let model = ClosureModel { _, _, request in
            guard !request.tools.isEmpty else {
                told.withLock { $0 = request.messages }
                return [.textDelta("report"), .end]
            }
            return [.call("emit", ["tag": "finished early"], id: "quick"), .call("block", id: "slow"), .end]
        }
        let runtime = makeRuntime(model: model, tools: [EmitTool(), BlockTool(latch: Gate(), completions: Tally())], clock: clock)
        let progress = runtime.events.subscribe(where: { if case .toolEnd(_, "quick", _, _) = $0 { true } else { false } })
        let task = try await finish(runtime, budget: TaskBudget(maxSeconds: 30)) {
            _ = await progress.collect(until: { _ in true })
            await clock.untilSleeping()
            await clock.advance(by: .seconds(30))
        }
        #expect(task.statusWord == "budget exhausted")
        let results = told.withLock { $0 }.compactMap { message -> String? in
            if case .tool(let callID, _, let content) = message { "\(callID): \(content)" } else { nil }
        }
        #expect(results == ["quick: finished early", "slow: Error: Stopped: the budget of 30 seconds (max_seconds) ran out during the call."])
    }

    @Test("a stop during a model call of an agent with a time budget ends it cancelled at once, and its deadline watch ends with it")
    func stopBeforeDeadline() async throws {
        let clock = TestClock<Duration>()
        let (streaming, ended) = (Gate(), Locked(false))
        let runtime = makeRuntime(model: Self.blockedModelCall(streaming, ended: ended), tools: [EmitTool()], clock: clock)
        let task = try await finish(runtime, budget: TaskBudget(maxSeconds: 3600)) {
            await streaming.untilArrivals(1)
            await clock.untilSleeping()
            await runtime.registry.cancelAll()
        }
        #expect(task.status == .cancelled(by: .user))
        #expect(ended.withLock { $0 })
        // No sleep is left on the clock: the watch was cancelled and awaited when the run ended.
        await #expect(throws: Never.self) { try await clock.checkSuspension() }
    }

    @Test("a time budget that runs out while the agent is paused ends it with its report on resume, without another call with tools")
    func secondsWhilePaused() async throws {
        let clock = TestClock<Duration>()
        let (streaming, ended) = (Gate(), Locked(false))
        let model = Self.blockedModelCall(streaming, ended: ended)
        let runtime = makeRuntime(model: model, tools: [EmitTool()], clock: clock)
        let registry = runtime.registry
        let parked = Gate()
        await registry.observeResumeWaits { _ in parked.open() }
        let task = try await finish(runtime, budget: TaskBudget(maxSeconds: 30)) {
            await streaming.untilArrivals(1)
            guard case .paused = await registry.pause(TaskID(1)) else {
                Issue.record("not paused")
                return
            }
            // Parked at its pause: the call in flight has ended.
            try? await parked.wait()
            #expect(ended.withLock { $0 })
            await clock.untilSleeping()
            await clock.advance(by: .seconds(30))
            guard case .resumed = await registry.resume(TaskID(1)) else {
                Issue.record("not resumed")
                return
            }
        }
        #expect(task.status == .budgetExhausted(reason: "its budget of 30 seconds (max_seconds) is used up", report: "report: " + BudgetGuard.lastTurnMessage("its budget of 30 seconds (max_seconds) is used up")))
        #expect(model.calls.count("worker") == 2, "the paused call, then the report")
    }

    @Test("tokens spent by a foreground sub-agent during a tool call use up its parent's budget: the parent's next turn is its report")
    func tokensDuringToolCall() async throws {
        let model = ClosureModel { agent, turn, request in
            guard !request.tools.isEmpty else { return [.textDelta("\(agent) report"), .end] }
            switch (agent, turn) {
            case ("worker", 0): return [.call("agent", ["name": "child", "prompt": "p"]), .endOfTurn(Usage(inputTokens: 40, outputTokens: 0))]
            case ("child", _): return [.call("emit", ["tag": "c"]), .endOfTurn(Usage(inputTokens: 70, outputTokens: 0))]
            default: return [.textDelta("a call with tools after the budget was used up"), .end]
            }
        }
        let runtime = makeRuntime(model: model, tools: [EmitTool()])
        let children = runtime.events.subscribe(where: { if case .task(.finished(let task)) = $0 { task.name == "child" } else { false } })
        let task = try await finish(runtime, budget: TaskBudget(maxTokens: 100))
        #expect(task.status == .budgetExhausted(reason: "its budget of 100 tokens (max_tokens) is used up", report: "worker report"))
        #expect(task.usage.modelCalls == 2, "the turn that launched the child, then the report")
        #expect(task.totalUsage.tokens == 40 + 70 + 2 + 2, "its turn, the child's turn, both reports (`.end` counts 2)")
        guard case .task(.finished(let child)) = await children.collect(until: { _ in true }).first else {
            Issue.record("the child did not finish")
            return
        }
        #expect(child.budget.maxTokens == 60, "the child got what its parent had left")
        #expect(child.status == .budgetExhausted(reason: "its budget of 60 tokens (max_tokens) is used up", report: "child report"))
    }

    @Test("a sub-agent asking for more than is left gets what is left, and the launch's tool result says so")
    func narrower() async throws {
        let model = ClosureModel { agent, turn, _ in
            switch (agent, turn) {
            case ("main", 0): [.call("agent", ["name": "worker", "prompt": "p", "background": true, "max_tokens": 5000, "max_steps": 3], id: "launch"), .end]
            case ("main", _): [.textDelta("ok"), .end]
            default: [.textDelta("done"), .end]
            }
        }
        let registry = TaskRegistry()
        let runtime = AgentRuntime(
            registry: registry, model: model, tools: [AgentTool()], workspace: URL(fileURLWithPath: NSTemporaryDirectory()),
            agentBudget: TaskBudget(maxTokens: 1000, maxSeconds: 60)
        )
        let events = runtime.events.subscribe()
        var conversation: [ChatMessage] = [.user("go")]
        _ = try await runtime.run(agent: .main, conversation: &conversation)
        var launch: ToolOutput?
        var started: TaskSnapshot?
        for await event in events {
            if case .toolEnd(_, "launch", _, let output) = event { launch = output }
            if case .task(.started(let task)) = event { started = task }
            if launch != nil, started != nil { break }
        }
        #expect(started?.budget == TaskBudget(maxTokens: 1000, maxSeconds: 60, maxSteps: 3))
        #expect(launch?.content.hasSuffix("Budget narrowed to what is left: max_tokens 5000 was cut to the 1000 left.") == true)
    }

    @Test("an agent whose budget of some kind is used up cannot launch a sub-agent: the launch is refused as a tool result")
    func nothingLeft() async throws {
        let model = ClosureModel { agent, turn, request in
            switch (agent, turn) {
            case ("worker", 0): return [.call("emit", ["tag": "a"]), .end]
            case ("worker", 1): return [.call("agent", ["name": "child", "prompt": "p", "background": true], id: "launch"), .end]
            default: return [.textDelta(request.tools.isEmpty ? "report" : "done"), .end]
            }
        }
        let runtime = makeRuntime(model: model, tools: [EmitTool()])
        let events = runtime.events.subscribe(where: { if case .toolEnd(_, "launch", _, _) = $0 { true } else { false } })
        _ = try await finish(runtime, budget: TaskBudget(maxToolCalls: 2))
        let ended = await events.collect { _ in true }
        guard case .toolEnd(_, _, _, let output) = ended.last else {
            Issue.record("no launch")
            return
        }
        #expect(output == .error(#"Cannot start sub-agent "child": nothing is left of this agent's budget of tool calls (max_tool_calls)."#))
    }

    @Test("grant: each kind is the smaller of asked and left; an unlimited parent gives what is asked")
    func grant() {
        let left = TaskBudget(maxTokens: 100, maxToolCalls: 5)
        let (granted, cut) = left.grant(TaskBudget(maxTokens: 50, maxToolCalls: 9, maxSteps: 4))
        #expect(granted == TaskBudget(maxTokens: 50, maxToolCalls: 5, maxSteps: 4))
        #expect(cut == ["max_tool_calls 9 was cut to the 5 left"])
        #expect(TaskBudget().grant(TaskBudget(maxSeconds: 3)).budget == TaskBudget(maxSeconds: 3))
        #expect(left.remaining(after: [.tokens: 130, .toolCalls: 2]) == TaskBudget(maxTokens: 0, maxToolCalls: 3))
    }

    @Test("the log writes 'budget exhausted' with its report and reason, and 'queued' with its place, and reads both back")
    func logged() throws {
        for (status, word) in [
            (TaskStatus.budgetExhausted(reason: "its budget of 5 model calls (max_steps) is used up", report: "found 3 files"), "budget exhausted"),
            (TaskStatus.queued(position: 2), "queued"),
        ] {
            let snapshot = TaskSnapshot(
                id: TaskID(4), name: "explore", kind: .agent, description: "d", spawner: .topLevel, mode: .background,
                status: status, cancelRequested: nil, startedAt: .zero, endedAt: status.isTerminal ? .seconds(2) : nil,
                startDate: Date(timeIntervalSince1970: 1_763_740_800), age: .seconds(2), trail: []
            )
            let data = try JSONEncoder().encode(snapshot)
            #expect(String(decoding: data, as: UTF8.self).contains(#""status":"\#(word)""#))
            #expect(try JSONDecoder().decode(TaskSnapshot.self, from: data).status == status)
        }
    }
}
