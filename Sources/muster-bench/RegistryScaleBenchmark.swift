import Foundation
import MusterCore
import Synchronization

/// The registry alone at 100,000 tasks: bodies that only sleep until they are cancelled, so the
/// figures are the registry's own work and memory per task, apart from an agent's (`scale-100k`
/// measures the agents; the difference is the agent loop's and its model call's).
///
/// Memory: the resident growth of `tasks` registry tasks, less that of `tasks` bare detached
/// tasks sleeping the same way (what any body's `Task` costs by itself). Both sets stay alive
/// until the end, so neither reuses what the other freed.
struct RegistryScaleBenchmark {
    let report: BenchmarkReport

    /// Counts bodies that reached their sleep.
    final class Parked: Sendable {
        let count = Atomic<Int>(0)
        func park() async {
            count.add(1, ordering: .relaxed)
            try? await Task.sleep(for: .seconds(3600))
        }
        /// Polls (1 ms) until `expected` bodies are parked.
        func wait(for expected: Int) async {
            while count.load(ordering: .relaxed) < expected { try? await Task.sleep(for: .milliseconds(1)) }
        }
    }

    func run(tasks: Int) async throws {
        let group = "registry alone"
        let parked = Parked()

        // Bare tasks: what a body's own `Task`, asleep, costs.
        let bareBase = ProcessStats.residentBytes()
        var bare: [Task<Void, Never>] = []
        bare.reserveCapacity(tasks)
        for _ in 0..<tasks { bare.append(Task.detached { await parked.park() }) }
        await parked.wait(for: tasks)
        let barePerTask = Double(ProcessStats.residentBytes() - bareBase) / Double(tasks)

        // The same bodies, started through the registry (no subscriber reads the bus meanwhile:
        // the only one takes `finished` events, filtered at the publisher).
        let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: tasks + 1))
        let finished = registry.events.subscribe(where: { if case .task(.finished) = $0 { true } else { false } })
        let base = ProcessStats.residentBytes()
        let start = ContinuousClock.now
        for index in 0..<tasks {
            let request = TaskRegistry.Request(name: "idle", description: "wait \(index)", mode: .background)
            _ = try await registry.start(request) { _ in
                await parked.park()
                return "woke up"
            }
        }
        let launched = ContinuousClock.now - start
        await parked.wait(for: 2 * tasks)
        let allParked = ContinuousClock.now - start
        let perTask = Double(ProcessStats.residentBytes() - base) / Double(tasks)
        report.add(group, "\(tasks) starts, ids returned (bodies only sleep)", launched.milliseconds, unit: "ms")
        report.add(group, "the same, every body in its sleep", allParked.milliseconds, unit: "ms")
        report.add(group, "resident memory per task, its body's Task included", perTask / 1024, unit: "KB")
        report.add(group, "a bare detached Task asleep, for comparison", barePerTask / 1024, unit: "KB")
        report.add(group, "the registry's own memory per task (the difference)", (perTask - barePerTask) / 1024, unit: "KB")

        let cancelStart = ContinuousClock.now
        await registry.cancelAll()
        var ended = 0
        for await _ in finished {
            ended += 1
            if ended == tasks { break }
        }
        let cancelTime = ContinuousClock.now - cancelStart
        report.add(group, "cancelAll until \(tasks) terminal", cancelTime.milliseconds, unit: "ms")
        _ = await registry.shutdown(grace: .seconds(1))
        for task in bare { task.cancel() }
        for task in bare { await task.value }
    }
}
