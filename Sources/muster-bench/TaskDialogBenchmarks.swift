import Foundation
import MusterCore
import MusterPresentation
import MusterTUI
import MusterTestSupport

/// The task dialog on the in-memory screen: a frame with 10,000 tasks (scrolling, and after a
/// task changed), and how long a key takes to reach the screen while 200 agents stream.
@MainActor
struct TaskDialogBenchmarks {
    let report: BenchmarkReport

    func run(quick: Bool) async throws {
        try await tenThousand(tasks: quick ? 2_000 : 10_000, frames: quick ? 50 : 300)
        try await keyLatency(agents: 200, keys: quick ? 100 : 500)
    }

    private static let size = ScreenSize(rows: 40, columns: 120)

    /// Starts `count` background agents that wait until the gate opens.
    private static func startAgents(_ count: Int, on registry: TaskRegistry, gate: Gate) async throws -> [TaskID] {
        var ids: [TaskID] = []
        for index in 0..<count {
            ids.append(try await registry.start(.init(name: "agent\(index % 17)", description: "task \(index)", mode: .background)) { _ in
                try await gate.wait()
                return "done"
            })
        }
        return ids
    }

    /// The dialog open on `tasks` tasks: a frame per ↓ (only the rows on screen are formatted),
    /// and a frame after one task changed (the tree is rebuilt).
    private func tenThousand(tasks: Int, frames: Int) async throws {
        let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: tasks + 1))
        let gate = Gate()
        _ = try await Self.startAgents(tasks, on: registry, gate: gate)
        let snapshots = await registry.snapshot()
        var state = InteractiveState(size: Self.size, theme: Theme(usesColor: true), pill: PillState(cap: tasks + 1))
        state.seedTasks(snapshots)
        state.openDialog()
        let screen = TextGridScreen(size: Self.size)
        screen.present(InteractiveRenderer.frame(for: &state))

        var scrolling: [Double] = []
        for frame in 0..<frames {
            let start = ContinuousClock.now
            _ = state.handle(frame % 400 < 200 ? .down : .up, now: start)
            screen.present(InteractiveRenderer.frame(for: &state))
            scrolling.append((ContinuousClock.now - start).milliseconds)
        }
        var changed: [Double] = []
        for frame in 0..<max(10, frames / 10) {
            let task = snapshots[frame % snapshots.count]
            let start = ContinuousClock.now
            state.apply(.task(.updated(task)))
            screen.present(InteractiveRenderer.frame(for: &state))
            changed.append((ContinuousClock.now - start).milliseconds)
        }
        let scroll = Distribution(scrolling)
        let rebuild = Distribution(changed)
        report.add("front end", "task dialog with \(tasks) tasks, frame per ↓: median", scroll.median, unit: "ms", target: "< 2 ms", met: scroll.median < 2)
        report.add("front end", "task dialog with \(tasks) tasks, frame per ↓: p99", scroll.p99, unit: "ms", target: "< 2 ms", met: scroll.p99 < 2)
        report.add("front end", "task dialog with \(tasks) tasks, frame after a task changed: median", rebuild.median, unit: "ms")
        gate.open()
        _ = await registry.shutdown(grace: .seconds(1))
    }

    /// What one side of the latency run shares with the other: both run on the main actor, as
    /// the app's keys and events do.
    @MainActor
    private final class Loop {
        var state: InteractiveState
        let screen = TextGridScreen(size: TaskDialogBenchmarks.size)
        var throttle = RedrawThrottle()
        var dueAt: ContinuousClock.Instant?

        init(cap: Int) {
            state = InteractiveState(size: TaskDialogBenchmarks.size, theme: Theme(usesColor: true), pill: PillState(cap: cap))
        }

        func draw() {
            state.now = .now
            screen.present(InteractiveRenderer.frame(for: &state))
            throttle.didDraw(at: .now)
            dueAt = nil
        }
    }

    /// Keys sent every 4 ms (stamped when sent, off the main actor) while 200 agents report
    /// steps as fast as the registry takes them; the main actor applies the events (frames
    /// throttled to ~30/s, as in the app) and answers each key with a frame at once, as the app
    /// does. The figure is from the key's stamp to its frame on the screen.
    private func keyLatency(agents: Int, keys: Int) async throws {
        let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: agents + 1))
        let gate = Gate()
        let ids = try await Self.startAgents(agents, on: registry, gate: gate)
        let loop = Loop(cap: agents + 1)
        loop.state.seedTasks(await registry.snapshot())
        loop.state.openDialog()
        loop.draw()

        let subscription = registry.events.subscribe(where: { if case .task = $0 { true } else { false } })
        let events = Task { @MainActor in
            var handled = 0
            for await event in subscription {
                if case .task(.started(let task)) = event, task.name == "sentinel" { break }
                if loop.state.apply(event), case .schedule(let at) = loop.throttle.request(now: .now) { loop.dueAt = at }
                if let due = loop.dueAt, ContinuousClock.now >= due { loop.draw() }
                // As the app's event loop does (InteractiveApp.eventsBetweenYields).
                handled += 1
                if handled % 64 == 0 { await Task.yield() }
            }
        }
        let (keyStream, keySender) = AsyncStream<ContinuousClock.Instant>.makeStream()
        let keyReader = Task { @MainActor in
            var latencies: [Double] = []
            var index = 0
            for await sentAt in keyStream {
                _ = loop.state.handle(index % 20 < 10 ? .down : .up, now: .now)
                loop.draw()
                latencies.append((ContinuousClock.now - sentAt).milliseconds)
                index += 1
            }
            return latencies
        }
        let streaming = Task.detached {
            var step = 0
            while !Task.isCancelled {
                await Self.burst(on: registry, ids: ids, step: step)
                step += 1
                await Task.yield()
            }
        }
        let keySending = Task.detached {
            for _ in 0..<keys {
                keySender.yield(.now)
                try? await Task.sleep(for: .milliseconds(4))
            }
            keySender.finish()
        }
        await keySending.value
        let latencies = await keyReader.value
        streaming.cancel()
        await streaming.value
        _ = try await registry.start(.init(name: "sentinel", description: "end of stream", mode: .foreground)) { _ in "done" }
        await events.value
        gate.open()
        _ = await registry.shutdown(grace: .seconds(2))
        let distribution = Distribution(latencies)
        report.add("front end", "key to frame, dialog open, \(agents) agents streaming: median", distribution.median, unit: "ms")
        report.add("front end", "key to frame, dialog open, \(agents) agents streaming: p99", distribution.p99, unit: "ms", target: "< 8 ms", met: distribution.p99 < 8)
    }

    /// One step reported by each agent, on the registry's own executor (one hop per burst).
    private static func burst(on registry: isolated TaskRegistry, ids: [TaskID], step: Int) {
        for id in ids {
            registry.report(id, step: step % 20 + 1, activity: "shell: step \(step)")
        }
    }
}
