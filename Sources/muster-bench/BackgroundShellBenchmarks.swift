import Foundation
import MusterCore
import MusterTestSupport

/// Background shells: how fast a stop takes a shell and its grandchildren down, and how fast
/// output goes into the file while the agents stay responsive.
struct BackgroundShellBenchmarks {
    let report: BenchmarkReport
    let workspace: URL

    private func makeRuntime(directory: URL) -> AgentRuntime {
        let registry = TaskRegistry(configuration: .init(maxBackgroundShells: 10))
        return AgentRuntime(
            registry: registry, model: ClosureModel { _, _, _ in [.end] }, tools: [], workspace: workspace,
            backgroundShells: BackgroundShells(configuration: .init(outputDirectory: directory, grace: .seconds(2)))
        )
    }

    /// From `cancel(id)` until the task is terminal and no process of its group is left, for
    /// `sleep 30` with a grandchild.
    func stopLatency(trials: Int) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("muster-bench-shells-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        // Orphaned members reparent to this process and are reaped by it, as in the executable
        // (which adopts orphans at start): without it they wait for init, and the group is seen
        // gone only by a listing of /proc. Not the executable's `ownsDescendants`: the bench has
        // other children (tmux, the binaries it runs).
        if let problem = ToolProcessRegistry.shared.adoptOrphans(ownsDescendants: false) { throw BenchmarkError(problem) }
        defer { ToolProcessRegistry.shared.ceaseAdoptingOrphans() }
        let runtime = makeRuntime(directory: directory)
        let registry = runtime.registry
        let events = registry.events.subscribe(where: { if case .task(.finished) = $0 { true } else { false } })
        var samples: [Double] = []
        var survivors = 0
        for _ in 0..<trials {
            let id = try await runtime.backgroundShells.start(
                command: "echo pgid $$; sh -c 'sleep 30' & sleep 30; wait", spawner: .topLevel, registry: registry, workspace: workspace
            )
            var group: ProcessGroup?
            // The command runs outside the program: its pid is read from its output file.
            while group == nil {
                if let line = runtime.backgroundShells.output(of: id)?.tail(lines: 1).lines.first, line.hasPrefix("pgid ") {
                    group = ProcessGroup(id: Int32(line.dropFirst(5)) ?? 0)
                } else {
                    try await Task.sleep(for: .milliseconds(1))
                }
            }
            guard let group else { throw BenchmarkError("no process group id from the shell") }
            while (group.livingMembers()?.count ?? 0) < 3 { try await Task.sleep(for: .milliseconds(1)) }
            let start = ContinuousClock.now
            await registry.cancel(id)
            for await event in events {
                if case .task(.finished(let snapshot)) = event, snapshot.id == id { break }
            }
            samples.append((ContinuousClock.now - start).milliseconds)
            if group.hasLivingMembers { survivors += 1 }
            _ = await registry.drainResults(for: .topLevel)
        }
        let distribution = Distribution(samples)
        report.add("background shell", "stop to terminal, group gone, median", distribution.median, unit: "ms")
        report.add("background shell", "stop to terminal, p99 (\(trials) trials)", distribution.p99, unit: "ms", target: "< 50 ms", met: distribution.p99 < 50)
        report.add("background shell", "groups with a survivor at the terminal event", Double(survivors), unit: "groups", target: "0", met: survivors == 0)
    }

    /// `megabytes` of output into the (rotating) file, start to terminal; meanwhile a 5 ms tick
    /// on the cooperative pool measures how late the agents' work would run.
    func throughput(megabytes: Int) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("muster-bench-flood-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let runtime = makeRuntime(directory: directory)
        let registry = runtime.registry
        let events = registry.events.subscribe(where: { if case .task(.finished) = $0 { true } else { false } })
        let bytes = megabytes * 1_000_000
        // The same tick for a second with no flood: what the machine's load alone does to it.
        var idle: [Double] = []
        let idleEnd = ContinuousClock.now + .seconds(1)
        while ContinuousClock.now < idleEnd {
            let before = ContinuousClock.now
            try await Task.sleep(for: .milliseconds(5))
            idle.append(((ContinuousClock.now - before) - .milliseconds(5)).milliseconds)
        }
        report.add("background shell", "a 5 ms tick on the pool with no flood, p99 lateness", Distribution(idle).p99, unit: "ms")
        let start = ContinuousClock.now
        let id = try await runtime.backgroundShells.start(
            command: "head -c \(bytes) /dev/zero", spawner: .topLevel, registry: registry, workspace: workspace
        )
        let lateness = await withTaskGroup(of: [Double].self) { group in
            group.addTask {
                var late: [Double] = []
                while !Task.isCancelled {
                    let before = ContinuousClock.now
                    do { try await Task.sleep(for: .milliseconds(5)) } catch { break }
                    late.append(((ContinuousClock.now - before) - .milliseconds(5)).milliseconds)
                }
                return late
            }
            for await event in events {
                if case .task(.finished(let snapshot)) = event, snapshot.id == id { break }
            }
            group.cancelAll()
            return await group.next() ?? []
        }
        let seconds = (ContinuousClock.now - start).milliseconds / 1000
        let written = runtime.backgroundShells.output(of: id)?.counts.total ?? 0
        guard written == bytes else { throw BenchmarkError("wrote \(written) of \(bytes) bytes") }
        let rate = Double(bytes) / 1_000_000 / seconds
        report.add("background shell", "output into the file, \(megabytes) MB", rate, unit: "MB/s", target: "≥ 100 MB/s", met: rate >= 100)
        let ticks = Distribution(lateness)
        report.add("background shell", "a 5 ms tick on the pool meanwhile, p99 lateness", ticks.p99, unit: "ms", target: "< 5 ms", met: ticks.p99 < 5)
    }
}
