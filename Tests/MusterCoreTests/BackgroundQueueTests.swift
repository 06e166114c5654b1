import Clocks
import Foundation
@testable import MusterCore
import MusterPresentation
import MusterTestSupport
import Testing

/// The opt-in queue past the background cap: launch order, refusal past it, stopping while queued.
@Suite("Background queue", .timeLimit(.minutes(1)))
struct BackgroundQueueTests {
    static func machine(cap: Int, queue: Int) -> RegistryMachine {
        RegistryMachine(limits: .init(maxBackgroundAgents: cap, keepFinished: 50, trailLength: 3, backgroundQueue: queue))
    }

    @Test("past the cap a launch is queued with its place in line, past the queue it is refused naming both numbers, and queued tasks start in launch order as slots free")
    func order() throws {
        var machine = Self.machine(cap: 2, queue: 3)
        var made: [TaskID] = []
        var effects: [RegistryEffect] = []
        var ids: [TaskID] = []
        for _ in 0..<5 {
            ids.append(try machine.start(.background(), now: .zero, date: Date(), makeBody: { made.append($0); return nil }, into: &effects))
        }
        #expect(made == Array(ids.prefix(2)), "only the tasks that got a slot have a body")
        #expect(machine.snapshot(now: .zero).map(\.statusWord) == ["pending", "pending", "queued 1st", "queued 2nd", "queued 3rd"])
        #expect(machine.capSlotsHeld == 2)
        #expect(machine.queuedCount == 3)
        #expect(throws: TaskRegistry.StartRefusal.queueFull(limit: 2, queue: 3)) {
            try machine.start(.background(), now: .zero, date: Date(), makeBody: { _ in nil }, into: &effects)
        }
        #expect(TaskRegistry.StartRefusal.queueFull(limit: 2, queue: 3).description
            == "Cannot start background agent: maximum concurrent background agents (2) reached and the queue is full (3 waiting). Stop an existing agent first.")

        _ = machine.bodyBegins(ids[1], now: .zero)
        _ = machine.bodyEnded(ids[1], outcome: .returned("done"), now: .seconds(1))
        #expect(made == Array(ids.prefix(3)), "the oldest queued task got the freed slot")
        #expect(machine.snapshot(of: ids[2], now: .seconds(1))?.statusWord == "pending")
        #expect(machine.snapshot(of: ids[4], now: .seconds(1))?.statusWord == "queued 2nd")
        #expect(machine.invariantViolation() == nil)
    }

    @Test("a queued task that is stopped ends cancelled at once, never gets a body, and the line closes up behind it")
    func stopWhileQueued() throws {
        var machine = Self.machine(cap: 1, queue: 3)
        var made: [TaskID] = []
        var effects: [RegistryEffect] = []
        let ids = try (0..<4).map { _ in
            try machine.start(.background(), now: .zero, date: Date(), makeBody: { made.append($0); return nil }, into: &effects)
        }
        effects = []
        let outcome = machine.cancel(ids[1], source: .user, now: .seconds(1), into: &effects)
        guard case .cancelling(let snapshot) = outcome else {
            Issue.record("expected .cancelling, got \(outcome)")
            return
        }
        #expect(snapshot.status == .cancelled(by: .user))
        #expect(RegistryMachineTests.published(effects).contains { $0.finishedID == ids[1] })
        #expect(machine.snapshot(of: ids[2], now: .seconds(1))?.statusWord == "queued 1st")
        _ = machine.bodyEnded(ids[0], outcome: .returned("done"), now: .seconds(2))
        #expect(made == [ids[0], ids[2]], "the stopped one never started")
        #expect(machine.queuedCount == 1)
        #expect(machine.invariantViolation() == nil)
    }

    @Test("100 racing launches against cap 5 and queue 20 give exactly 5 running, 20 queued and 75 refused, every time")
    func race() async throws {
        for _ in 0..<100 {
            let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: 5, backgroundQueue: 20))
            let outcomes = await withTaskGroup(of: Result<TaskID, TaskRegistry.StartRefusal>.self) { group in
                for _ in 0..<100 {
                    group.addTask {
                        await registry.startResult(.background()) { _ in
                            await untilCancelled()
                            return "stopped"
                        }
                    }
                }
                var all: [Result<TaskID, TaskRegistry.StartRefusal>] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
            let refused = outcomes.filter { if case .failure(.queueFull(5, 20)) = $0 { true } else { false } }
            #expect(refused.count == 75)
            #expect(await registry.runningBackgroundAgents == 5)
            #expect(await registry.queuedBackgroundAgents == 20)
            let listed = await registry.snapshot()
            #expect(listed.filter(\.isQueued).count == 20)
            #expect(listed.filter(\.countsAgainstCap).count == 5)
            _ = await registry.shutdown()
        }
    }

    @Test("wait on a queued task waits for it to start and finish; its time budget does not tick while it waits")
    func waitAndBudget() async throws {
        let clock = TestClock<Duration>()
        let blocker = Gate()
        let model = ClosureModel { agent, turn, _ in
            if agent == "first", turn == 0 { return [.call("block"), .end] }
            return [.textDelta("\(agent) done"), .end]
        }
        let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: 1, backgroundQueue: 1), clock: clock)
        let runtime = AgentRuntime(
            registry: registry, model: model, tools: [BlockTool(latch: blocker, completions: Tally())],
            workspace: URL(fileURLWithPath: NSTemporaryDirectory()), clock: clock
        )
        let blocking = runtime.events.subscribe(where: { if case .toolProgress(_, _, "blocking", _) = $0 { true } else { false } })
        let first = try await runtime.startBackgroundAgent(name: "first", prompt: "p", spawner: .topLevel)
        let second = try await runtime.startBackgroundAgent(name: "second", prompt: "p", spawner: .topLevel, budget: TaskBudget(maxSeconds: 30))
        #expect(await registry.snapshot(of: second)?.statusWord == "queued 1st")
        _ = await blocking.collect { _ in true }
        // A minute passes while the second one waits: more than its whole time budget.
        await clock.advance(by: .seconds(60))
        async let outcome = registry.wait(for: second, requestedBy: .topLevel)
        blocker.open()
        guard case .finished(let result) = await outcome else {
            Issue.record("the wait did not end with the result")
            return
        }
        #expect(result.status == .completed(summary: "second done"))
        guard case .finished(let firstResult) = await registry.wait(for: first, requestedBy: .topLevel) else {
            Issue.record("the first task's result was not there")
            return
        }
        #expect(firstResult.status == .completed(summary: "first done"))
    }

    @Test("a queued agent's time counts from its start: what it has left to give a sub-agent does not shrink while it waits")
    func budgetLeftAfterWaiting() async throws {
        let clock = TestClock<Duration>()
        let blocker = Gate()
        let model = ClosureModel { agent, turn, _ in
            switch (agent, turn) {
            case ("first", 0): return [.call("block"), .end]
            case ("second", 0): return [.call("agent", ["name": "child", "prompt": "p", "background": true, "max_seconds": 20], id: "launch"), .end]
            default: return [.textDelta("\(agent) done"), .end]
            }
        }
        let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: 1, backgroundQueue: 1), clock: clock)
        let runtime = AgentRuntime(
            registry: registry, model: model, tools: [BlockTool(latch: blocker, completions: Tally()), AgentTool()],
            workspace: URL(fileURLWithPath: NSTemporaryDirectory()), clock: clock
        )
        let events = runtime.events.subscribe()
        _ = try await runtime.startBackgroundAgent(name: "first", prompt: "p", spawner: .topLevel)
        let second = try await runtime.startBackgroundAgent(name: "second", prompt: "p", spawner: .topLevel, budget: TaskBudget(maxSeconds: 30))
        _ = await events.read { if case .toolProgress(_, _, "blocking", _) = $0 { true } else { false } }
        // A minute passes while the second one waits: more than its whole time budget.
        await clock.advance(by: .seconds(60))
        blocker.open()
        var launch: ToolOutput?
        var child: TaskSnapshot?
        for await event in events {
            if case .toolEnd(_, "launch", _, let output) = event { launch = output }
            if case .task(.started(let task)) = event, task.name == "child" { child = task }
            if launch != nil { break }
        }
        #expect(launch?.isError == false, "the launch was refused: \(launch?.content ?? "")")
        #expect(child?.budget == TaskBudget(maxSeconds: 20))
        #expect(await registry.snapshot(of: second)?.queuedFor == .seconds(60))
        _ = await registry.shutdown()
    }

    /// `slow_stop {}`: work under way until it returns; once cancelled it goes on stopping (as a
    /// process group does until its grace runs out) until `stopped` opens.
    private struct SlowStopTool: Tool {
        let spec = ToolSpec(name: "slow_stop", description: "test", parameters: ["type": "object"])
        let underWay: Locked<(now: Int, most: Int)>
        let sawStop: Gate
        let stopped: Gate
        var isConcurrencySafe: Bool { true }

        func run(_ arguments: JSONValue, context: ToolContext) async throws -> ToolOutput {
            underWay.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
            defer { underWay.withLock { $0.now -= 1 } }
            context.progress.report("working")
            await untilCancelled()
            sawStop.open()
            await stopped.waitIgnoringCancellation()
            throw CancellationError()
        }
    }

    @Test("a stopped agent gives its slot to the next queued one when its work has stopped, not before: the cap holds for work under way")
    func slotAfterStop() async throws {
        let underWay = Locked((now: 0, most: 0))
        let (sawStop, stopped) = (Gate(), Gate())
        let model = ClosureModel { agent, turn, _ in
            if agent == "first", turn == 0 { return [.call("slow_stop"), .end] }
            underWay.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
            defer { underWay.withLock { $0.now -= 1 } }
            return [.textDelta("\(agent) done"), .end]
        }
        let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: 1, backgroundQueue: 1))
        let runtime = AgentRuntime(
            registry: registry, model: model, tools: [SlowStopTool(underWay: underWay, sawStop: sawStop, stopped: stopped)],
            workspace: URL(fileURLWithPath: NSTemporaryDirectory())
        )
        let events = runtime.events.subscribe()
        let first = try await runtime.startBackgroundAgent(name: "first", prompt: "p", spawner: .topLevel)
        let second = try await runtime.startBackgroundAgent(name: "second", prompt: "p", spawner: .topLevel)
        _ = await events.read { if case .toolProgress(_, _, "working", _) = $0 { true } else { false } }
        await registry.cancel(first)
        try await sawStop.wait()
        // The first one's call is still stopping: the second waits for its slot.
        #expect(await registry.snapshot(of: first)?.statusWord == "stopping")
        #expect(await registry.snapshot(of: second)?.statusWord == "queued 1st")
        #expect(await registry.runningBackgroundAgents == 1)
        stopped.open()
        var order: [String] = []
        for await event in events {
            if case .task(.finished(let task)) = event { order.append("\(task.name) \(task.statusWord)") }
            // Its first update out of the queue (pending, or running: updates of one task coalesce).
            if case .task(.updated(let task)) = event, task.id == second, !task.isQueued, !order.contains("second starts") {
                order.append("second starts")
            }
            if order.count == 3 { break }
        }
        #expect(order == ["first cancelled", "second starts", "second completed"])
        #expect(underWay.withLock { $0.most } == 1, "never more work under way than the cap")
    }

    @Test("the pill counts the queue beside the running agents, and follows it as it drains")
    func pill() async throws {
        let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: 1, backgroundQueue: 3))
        let events = registry.events.subscribe().tasks
        var pill = PillState(cap: 1)
        var ids: [TaskID] = []
        for _ in 0..<3 {
            ids.append(try await registry.start(.background()) { _ in
                await untilCancelled()
                return "stopped"
            })
        }
        _ = await events.read(until: { event in
            pill.apply(event)
            return pill.label == "1/1 agents · 2 queued"
        })
        #expect(pill.text.hasPrefix("● 1/1 agents · 2 queued"))
        await registry.cancel(ids[0])
        _ = await events.read(until: { event in
            pill.apply(event)
            return pill.runningCount == 1 && pill.queued.count == 1
        })
        #expect(pill.label == "1/1 agents · 1 queued · 1 done", "the stopped one's result waits")
        #expect(await registry.snapshot(of: ids[1])?.countsAgainstCap == true)
        _ = await registry.shutdown()
    }
}
