import Foundation
import MusterCore
import MusterScripted
import MusterTestSupport

/// Benchmarks of the core: stop latency, scale, and progress throughput.
struct CoreBenchmarks {
    let report: BenchmarkReport
    let trials: Int
    let agents: Int
    let workspace: URL

    // MARK: Stop latency

    /// From `cancel(id)` to the task's terminal event, for an agent waiting inside a model stream.
    func stopLatencyInModelStream() async throws {
        let script = try ScriptLoader.load(text: """
            { "version": 1, "agents": { "streamer": { "scenarios": [ { "name": "talk", "turns": [
              { "say": "a long answer that streams one chunk per minute", "chunk_chars": 2, "chunk_delay_ms": 60000 } ] } ] } } }
            """, origin: "bench-stream.json")
        let runtime = makeRuntime(model: ScriptedModel(script: script, clock: ContinuousClock()), tools: [])
        let registry = runtime.registry
        let sessionEvents = runtime.events.subscribe()
        let taskEvents = registry.events.subscribe(where: Self.isTaskEvent).compactMap { event -> TaskRegistryEvent? in if case .task(let task) = event { task } else { nil } }
        var samples: [Double] = []
        for _ in 0..<trials {
            let id = try await runtime.startBackgroundAgent(name: "streamer", prompt: "talk", spawner: .topLevel)
            // Mid-stream: the first delta arrived, the next one is a minute away.
            for await event in sessionEvents {
                if case .textDelta(let agent, _) = event, agent.taskID == id { break }
            }
            let start = ContinuousClock.now
            await registry.cancel(id)
            for await event in taskEvents {
                if case .finished(let snapshot) = event, snapshot.id == id { break }
            }
            samples.append((ContinuousClock.now - start).milliseconds)
            _ = await registry.drainResults(for: .topLevel)
        }
        let distribution = Distribution(samples)
        report.add("stop latency", "model stream, median", distribution.median, unit: "ms")
        report.add("stop latency", "model stream, p99 (\(trials) trials)", distribution.p99, unit: "ms", target: "< 2 ms", met: distribution.p99 < 2)
    }

    /// From `cancel(id)` until no process of the shell's group is left, for `sleep 30` with a grandchild.
    func stopLatencyInShell(trials: Int) async throws {
        let script = try ScriptLoader.load(text: """
            { "version": 1, "agents": { "sheller": { "scenarios": [ { "name": "sleep", "turns": [
              { "tools": [ { "tool": "shell", "args": { "command": "echo pgid $$; sh -c 'sleep 30' & sleep 30; wait" } } ] },
              { "say": "done" } ] } ] } } }
            """, origin: "bench-shell.json")
        let runtime = makeRuntime(
            model: ScriptedModel(script: script, clock: ContinuousClock()),
            tools: BuiltInTools.workspaceTools(shellGrace: .seconds(2))
        )
        let registry = runtime.registry
        // Orphaned members reparent to this process and are reaped by it, as in the executable
        // (which adopts orphans at start): without it they wait for init, and the group is seen
        // gone only by a listing of /proc. Not the executable's `ownsDescendants`: the bench has
        // other children (tmux, the binaries it runs).
        if let problem = ToolProcessRegistry.shared.adoptOrphans(ownsDescendants: false) { throw BenchmarkError(problem) }
        defer { ToolProcessRegistry.shared.ceaseAdoptingOrphans() }
        let sessionEvents = runtime.events.subscribe()
        let taskEvents = registry.events.subscribe(where: Self.isTaskEvent).compactMap { event -> TaskRegistryEvent? in if case .task(let task) = event { task } else { nil } }
        var samples: [Double] = []
        var finishedSamples: [Double] = []
        var survivors = 0
        for _ in 0..<trials {
            let id = try await runtime.startBackgroundAgent(name: "sheller", prompt: "sleep", spawner: .topLevel)
            var groupID: Int32 = 0
            for await event in sessionEvents {
                if case .toolProgress(let agent, _, let line, _) = event, agent.taskID == id, line.hasPrefix("pgid ") {
                    groupID = Int32(line.dropFirst(5).trimmingCharacters(in: .whitespaces)) ?? 0
                    break
                }
            }
            guard let group = ProcessGroup(id: groupID) else { throw BenchmarkError("no process group id from the shell") }
            // Wait until the grandchild exists, so the stop really has a tree to take down.
            while (group.livingMembers()?.count ?? 0) < 3 { await Task.yield() }
            let start = ContinuousClock.now
            await registry.cancel(id)
            for await event in taskEvents {
                if case .finished(let snapshot) = event, snapshot.id == id { break }
            }
            finishedSamples.append((ContinuousClock.now - start).milliseconds)
            // One look per round (a look lists /proc): the stop reports `finished` only once the
            // group is gone, so the first look normally ends it.
            let deadline = ContinuousClock.now + .seconds(5)
            var alive = group.hasLivingMembers
            while alive, ContinuousClock.now < deadline {
                await Task.yield()
                alive = group.hasLivingMembers
            }
            if alive { survivors += 1 }
            samples.append((ContinuousClock.now - start).milliseconds)
            _ = await registry.drainResults(for: .topLevel)
        }
        let distribution = Distribution(samples)
        let finished = Distribution(finishedSamples)
        report.add("stop latency", "shell stop to the task's finished event, median / p99 \(BenchmarkReport.format(finished.p99)) ms", finished.median, unit: "ms")
        report.add("stop latency", "shell group gone, median", distribution.median, unit: "ms")
        report.add("stop latency", "shell group gone, p99 (\(trials) trials)", distribution.p99, unit: "ms", target: "< 5 ms", met: distribution.p99 < 5)
        report.add("stop latency", "shell groups with a survivor", Double(survivors), unit: "groups", target: "0", met: survivors == 0)
    }

    // MARK: Scale

    /// What `scale` holds itself to at one size.
    struct ScaleTargets {
        var group = "scale"
        var registered: Duration = .seconds(1)
        var kilobytesPerAgent: Double = 20
        var snapshot: Duration = .milliseconds(5)
        /// The windowed listing (the rows a screen shows); nil: not measured.
        var window: Duration?
        var cancelAll: Duration = .milliseconds(200)

        /// Issue 22's targets for 100,000 agents.
        static let hundredThousand = ScaleTargets(
            group: "scale 100k", registered: .seconds(2), kilobytesPerAgent: 5, snapshot: .milliseconds(30),
            window: .milliseconds(1), cancelAll: .seconds(1)
        )
    }

    /// Many background agents at once, each waiting inside a scripted step.
    func scale(agents: Int? = nil, targets: ScaleTargets = ScaleTargets()) async throws {
        let agents = agents ?? self.agents
        let group = targets.group
        let script = try ScriptLoader.load(text: """
            { "version": 1, "agents": { "idle": { "scenarios": [ { "name": "wait", "turns": [
              { "wait_ms": 3600000, "say": "woke up" } ] } ] } } }
            """, origin: "bench-scale.json")
        let runtime = makeRuntime(
            model: ScriptedModel(script: script, clock: ContinuousClock()), tools: [], maxBackgroundAgents: agents + 1
        )
        let registry = runtime.registry
        let baseline = ProcessStats.residentBytes()

        // The starts' events are read as they come, as a front end reads them: read only after
        // the last start, 100,000 of them waited in the subscription, and the memory they took
        // stayed resident in malloc's arenas and was counted as the agents'.
        let startEvents = registry.events.subscribe(where: Self.isTaskEvent)
        async let allRunningAt = Self.whenRunning(agents, in: startEvents)
        let start = ContinuousClock.now
        for index in 0..<agents {
            _ = try await runtime.startBackgroundAgent(name: "idle", prompt: "wait \(index)", spawner: .topLevel)
        }
        let registered = ContinuousClock.now - start
        let allRunning = await allRunningAt - start
        startEvents.finish()
        report.add(group, "start \(agents) agents (ids returned)", registered.milliseconds, unit: "ms", target: "< \(Int(targets.registered.milliseconds)) ms", met: registered < targets.registered)
        report.add(group, "start \(agents) agents (all in their step)", allRunning.milliseconds, unit: "ms")

        let resident = ProcessStats.residentBytes() - baseline
        let perAgent = Double(resident) / Double(agents) / 1024
        report.add(group, "resident memory per idle agent", perAgent, unit: "KB", target: "< \(Int(targets.kilobytesPerAgent)) KB", met: perAgent < targets.kilobytesPerAgent)

        var snapshotSamples: [Double] = []
        for _ in 0..<20 {
            let begin = ContinuousClock.now
            let entries = await registry.snapshot()
            snapshotSamples.append((ContinuousClock.now - begin).milliseconds)
            precondition(entries.count >= agents)
        }
        let snapshotTime = Distribution(snapshotSamples).median
        report.add(group, "snapshot() of \(agents) entries, median", snapshotTime, unit: "ms", target: "< \(BenchmarkReport.format(targets.snapshot.milliseconds)) ms", met: snapshotTime < targets.snapshot.milliseconds)

        if let windowTarget = targets.window {
            // 40 rows, as a screen shows, at the start, the middle and the end of the listing.
            var windowSamples: [Double] = []
            for trial in 0..<300 {
                let first = TaskID([1, agents / 2, agents - 39][trial % 3])
                let begin = ContinuousClock.now
                let window = await registry.snapshot(from: first, limit: 40)
                windowSamples.append((ContinuousClock.now - begin).milliseconds)
                precondition(window.rows.count == 40 && window.total >= agents)
            }
            let windowTime = Distribution(windowSamples)
            report.add(group, "windowed listing, 40 of \(agents) rows, p99 (median \(BenchmarkReport.format(windowTime.median)) ms)", windowTime.p99, unit: "ms", target: "< \(BenchmarkReport.format(windowTarget.milliseconds)) ms", met: windowTime.p99 < windowTarget.milliseconds)
        }

        let taskEvents = registry.events.subscribe(where: Self.isTaskEvent).compactMap { event -> TaskRegistryEvent? in if case .task(let task) = event { task } else { nil } }
        let cancelStart = ContinuousClock.now
        await registry.cancelAll()
        var finished = 0
        for await event in taskEvents {
            if case .finished = event { finished += 1 }
            if finished == agents { break }
        }
        let cancelTime = ContinuousClock.now - cancelStart
        report.add(group, "cancelAll until \(agents) terminal", cancelTime.milliseconds, unit: "ms", target: "< \(Int(targets.cancelAll.milliseconds)) ms", met: cancelTime < targets.cancelAll)
        _ = await registry.shutdown(grace: .seconds(1))
    }

    // MARK: Progress throughput

    /// Concurrent tool calls each streaming many progress events; every event checked for its stream.
    func progressThroughput(calls: Int = 100, eventsPerCall: Int = 10_000) async throws {
        let model = fixedTurnModel(calls: (0..<calls).map {
            ToolCall(id: "c\($0)", name: "emit", arguments: ["tag": .string("c\($0)"), "count": .number(Double(eventsPerCall))])
        })
        let runtime = makeRuntime(model: model, tools: [EmitTool()])
        let subscription = runtime.events.subscribe()
        let total = calls * eventsPerCall

        let consumer = Task {
            var nextIndex: [String: Int] = [:]
            var wrong = 0
            var received = 0
            for await event in subscription {
                guard case .toolProgress(_, let callID, let line, _) = event else { continue }
                // Each line is "<tag>:<index>": it must belong to this call and come in order.
                // One hash of the call id per event: the check must cost less than what it checks.
                let inOrder = { (expected: inout Int) -> Bool in
                    defer { expected += 1 }
                    guard let colon = line.utf8.firstIndex(of: UInt8(ascii: ":")),
                          line.utf8[..<colon].elementsEqual(callID.utf8) else { return false }
                    return Int(Substring(line.utf8[line.utf8.index(after: colon)...])) == expected
                }(&nextIndex[callID, default: 0])
                if !inOrder { wrong += 1 }
                received += 1
                if received == total { break }
            }
            return (received, wrong)
        }
        // A background agent makes the calls, so what the registry records of each (its activity,
        // usage and transcript) is part of the cost measured.
        let start = ContinuousClock.now
        let id = try await runtime.startBackgroundAgent(name: "emitter", prompt: "stream", spawner: .topLevel)
        let (received, wrong) = await consumer.value
        let elapsed = ContinuousClock.now - start
        let rate = Double(received) / elapsed.seconds
        report.add("throughput", "progress events/s (\(calls) calls × \(eventsPerCall), a background agent's, recorded)", rate, unit: "events/s", target: ">= 1,000,000/s", met: rate >= 1_000_000)
        _ = await runtime.registry.wait(for: id, requestedBy: .topLevel)
        report.add("throughput", "events in the wrong stream or out of order", Double(wrong), unit: "events", target: "0", met: wrong == 0 && received == total)
    }

    /// Registry transitions only: a task watcher is not handed every progress line of the bus.
    /// When `count` agents have reached their first model step, read from `events`.
    static func whenRunning(_ count: Int, in events: EventSubscription<SessionEvent, SessionEventKey>) async -> ContinuousClock.Instant {
        var running = 0
        for await event in events {
            if case .task(.updated(let snapshot)) = event, case .running(1, _) = snapshot.status { running += 1 }
            if running == count { break }
        }
        return .now
    }

    @Sendable static func isTaskEvent(_ event: SessionEvent) -> Bool {
        if case .task = event { true } else { false }
    }

    /// A runtime with only `tools` (no task tools) on the bench's workspace.
    private func makeRuntime(model: any LanguageModel, tools: [any Tool], maxBackgroundAgents: Int = 10_000) -> AgentRuntime {
        MusterTestSupport.makeRuntime(model: model, tools: tools, taskTools: false, maxBackgroundAgents: maxBackgroundAgents, workspace: workspace)
    }
}

/// A model that asks for `calls` in its first turn, then answers "done".
func fixedTurnModel(calls: [ToolCall]) -> ClosureModel {
    ClosureModel { _, turn, _ in
        turn == 0 ? calls.map(ModelEvent.toolCall) + [.endOfTurn(Usage())] : [.textDelta("done"), .endOfTurn(Usage())]
    }
}

/// A benchmark that could not run.
struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Duration {
    var milliseconds: Double { seconds * 1000 }
}
