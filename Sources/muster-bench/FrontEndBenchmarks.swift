import Foundation
import MusterCore
import MusterPresentation
import MusterTUI
import MusterTestSupport

/// Front-end benchmarks on the in-memory screen: the `/tasks` table with many tasks, and
/// redraw coalescing under a flood of registry transitions.
@MainActor
struct FrontEndBenchmarks {
    let report: BenchmarkReport

    func run(quick: Bool) async throws {
        try await tasksTable(tasks: 1_000, frames: quick ? 50 : 300)
        try await flood(seconds: quick ? 0.5 : 2, ratePerSecond: 100_000)
    }

    /// Renders `/tasks` for `tasks` entries into a 120x40 text grid, frame after frame.
    private func tasksTable(tasks: Int, frames: Int) async throws {
        let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: tasks + 1))
        let latch = Gate()
        for index in 0..<tasks {
            _ = try await registry.start(.init(name: "agent\(index % 17)", description: "task \(index)", mode: .background)) { _ in
                try await latch.wait()
                return "done"
            }
        }
        let snapshots = await registry.snapshot()
        var state = InteractiveState(size: ScreenSize(rows: 40, columns: 120), theme: Theme(usesColor: true), pill: PillState(cap: tasks + 1))
        let screen = TextGridScreen(size: ScreenSize(rows: 40, columns: 120))
        var samples: [Double] = []
        for _ in 0..<frames {
            let start = ContinuousClock.now
            state.append(TaskTable.lines(for: snapshots))
            screen.present(InteractiveRenderer.frame(for: &state))
            samples.append((ContinuousClock.now - start).milliseconds)
        }
        let distribution = Distribution(samples)
        report.add("front end", "/tasks with \(tasks) tasks, median frame", distribution.median, unit: "ms", target: "< 2 ms", met: distribution.median < 2)
        report.add("front end", "/tasks with \(tasks) tasks, p99 frame", distribution.p99, unit: "ms")
        latch.open()
        _ = await registry.shutdown(grace: .seconds(1))
    }

    /// `count` transitions of running agents, back to back on the registry's own executor: one
    /// hop per burst instead of one per transition, so the flood is not capped by the hops.
    private static func burst(on registry: isolated TaskRegistry, ids: [TaskID], from first: Int, count: Int) {
        for index in first..<(first + count) {
            registry.report(ids[index % ids.count], step: index % 20, activity: "tool \(index % 7)")
        }
    }

    /// Floods the registry with transitions while a consumer applies them to the interactive
    /// state and draws through `RedrawThrottle`, as the app does; counts frames per second and
    /// checks the pill's final count against the registry.
    private func flood(seconds: Double, ratePerSecond: Int) async throws {
        let agents = 200
        let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: agents + 1))
        let latch = Gate()
        var ids: [TaskID] = []
        for index in 0..<agents {
            ids.append(try await registry.start(.init(name: "flood", description: "flood \(index)", mode: .background)) { _ in
                try await latch.wait()
                return "done"
            })
        }
        let subscription = registry.events.subscribe(where: { if case .task = $0 { true } else { false } }).compactMap { @Sendable event -> TaskRegistryEvent? in if case .task(let task) = event { task } else { nil } }
        let consumer = Task {
            var state = InteractiveState(size: ScreenSize(rows: 40, columns: 120), theme: Theme(usesColor: true), pill: PillState(cap: agents + 1))
            let screen = TextGridScreen(size: ScreenSize(rows: 40, columns: 120))
            var throttle = RedrawThrottle()
            var dueAt: ContinuousClock.Instant?
            var events = 0
            for await event in subscription {
                // A foreground "sentinel" task marks the end of the flood (it never counts in the pill).
                if case .started(let snapshot) = event, snapshot.name == "sentinel" { break }
                events += 1
                if state.apply(.task(event)), case .schedule(let at) = throttle.request(now: .now) { dueAt = at }
                if let due = dueAt, ContinuousClock.now >= due {
                    screen.present(InteractiveRenderer.frame(for: &state))
                    throttle.didDraw(at: .now)
                    dueAt = nil
                }
            }
            // The flood ended: the last scheduled frame is drawn.
            if dueAt != nil { screen.present(InteractiveRenderer.frame(for: &state)) }
            return (screen.presentCount, state.pill.runningCount, events)
        }

        let start = ContinuousClock.now
        let deadline = start + .milliseconds(Int64(seconds * 1000))
        let perMillisecond = max(1, ratePerSecond / 1000)
        var sent = 0
        var cancelled = 0
        var tick = start
        while ContinuousClock.now < deadline {
            await Self.burst(on: registry, ids: ids, from: sent, count: perMillisecond)
            sent += perMillisecond
            // Now and then an agent is stopped, so the pill's count really moves.
            if sent % (perMillisecond * 50) == 0, cancelled < agents / 2 {
                await registry.cancel(ids[cancelled * 2])
                cancelled += 1
            }
            tick = tick.advanced(by: .milliseconds(1))
            if tick > ContinuousClock.now { try await Task.sleep(until: tick, clock: .continuous) }
        }
        let elapsed = ContinuousClock.now - start
        let expectedRunning = await registry.runningBackgroundAgents
        _ = try await registry.start(.init(name: "sentinel", description: "end of flood", mode: .foreground)) { _ in "done" }
        let (frames, pillRunning, _) = await consumer.value
        latch.open()
        _ = await registry.shutdown(grace: .seconds(2))
        let rate = Double(sent) / elapsed.seconds
        let framesPerSecond = Double(frames) / elapsed.seconds
        report.add("front end", "flood: transitions per second sent", rate, unit: "/s", target: "~100,000/s")
        report.add("front end", "flood: frames drawn per second", framesPerSecond, unit: "frames/s", target: "<= ~30/s", met: framesPerSecond <= 31)
        report.add("front end", "flood: pill count when the flood ended", Double(pillRunning), unit: "agents",
                   target: "= \(expectedRunning) (registry)", met: pillRunning == expectedRunning)
    }
}
