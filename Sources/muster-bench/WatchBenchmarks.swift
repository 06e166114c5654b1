import Foundation
import MusterCore
import MusterTestSupport

/// Benchmarks of watching agents at work: what a full transcript costs, and whether the registry
/// still answers at once while agents walk and read big trees.
struct WatchBenchmarks {
    let report: BenchmarkReport
    let workspace: URL

    // MARK: Transcript memory

    /// Resident memory of `agents` running agents whose transcripts are full (past both bounds),
    /// minus that of as many running agents with empty ones, per agent. Both sets stay alive
    /// until both are measured, so neither reuses memory the other freed.
    func transcriptMemory(agents: Int) async throws {
        let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: 2 * agents + 1))
        let gate = Gate()
        // 1,000 distinct lines of 120 characters: past the line bound and the byte bound.
        @Sendable func fill(_ context: TaskContext, agent: Int) async {
            for chunk in 0..<20 {
                let lines = (0..<50).map { index in
                    let head = "agent \(agent) line \(chunk * 50 + index): "
                    return head + String(repeating: "x", count: 120 - head.count)
                }
                await context.transcribe(lines.joined(separator: "\n"))
            }
        }
        func start(_ count: Int, full: Bool, arrivalsBefore: Int) async throws -> Int {
            let before = ProcessStats.residentBytes()
            for index in 0..<count {
                _ = try await registry.start(.init(name: "t\(index)", description: "watch", mode: .background)) { context in
                    if full { await fill(context, agent: index) }
                    try await gate.wait()
                    return "done"
                }
            }
            await gate.untilArrivals(arrivalsBefore + count)
            return ProcessStats.residentBytes() - before
        }
        let none = try await start(agents, full: false, arrivalsBefore: 0)
        let full = try await start(agents, full: true, arrivalsBefore: agents)
        let sample = try await registry.transcript(of: TaskID(agents + 1)).unwrap("transcript")
        let perAgent = Double(full - none) / Double(agents) / 1024
        report.add(
            "watch", "transcript memory per running agent, full (\(sample.count) lines, \(sample.keptBytes / 1024) KB kept, \(agents) agents)",
            perAgent, unit: "KB", target: "< 64 KB", met: perAgent < 64
        )
        gate.open()
        _ = await registry.shutdown(grace: .seconds(5))
    }

    // MARK: Registry round trip under file load

    /// `snapshot(of:)` round trips while 4 background agents grep a tree of `megabytes` MB and
    /// read its large files, each in a loop of `rounds` turns.
    func registryUnderFileLoad(megabytes: Int, rounds: Int = 1) async throws {
        let tree = FileManager.default.temporaryDirectory.appendingPathComponent("muster-bench-tree-\(getpid())")
        try? FileManager.default.removeItem(at: tree)
        defer { try? FileManager.default.removeItem(at: tree) }
        let files = try Self.makeTree(at: tree, megabytes: megabytes)

        let model = ClosureModel { agent, turn, _ in
            guard turn < rounds, let number = Int(agent.dropFirst("reader".count)) else { return [.textDelta("done"), .end] }
            let file = files[(number * 7 + turn * 13) % files.count]
            return [
                .call("grep", ["pattern": "needle-[0-9]+-absent", "path": .string(tree.lastPathComponent)]),
                .call("read_file", ["path": .string("\(tree.lastPathComponent)/\(file)"), "offset": 5_000, "max_lines": 2_000]),
                .end,
            ]
        }
        let runtime = MusterTestSupport.makeRuntime(
            model: model, tools: BuiltInTools.workspaceTools(), taskTools: false, workspace: tree.deletingLastPathComponent()
        )
        let registry = runtime.registry
        let watcher = registry.events.subscribe(where: CoreBenchmarks.isTaskEvent)
        var ids: [TaskID] = []
        for number in 0..<4 {
            ids.append(try await runtime.startBackgroundAgent(name: "reader\(number)", prompt: "search", spawner: .topLevel))
        }
        let finished = Locked(0)
        let agentIDs = ids
        let drain = Task {
            for await event in watcher {
                if case .task(.finished(let snapshot)) = event, agentIDs.contains(snapshot.id) {
                    if finished.withLock({ $0 += 1; return $0 }) == agentIDs.count { break }
                }
            }
        }
        var samples: [Double] = []
        let begin = ContinuousClock.now
        while finished.withLock({ $0 }) < ids.count, ContinuousClock.now - begin < .seconds(120) {
            let start = ContinuousClock.now
            _ = await registry.snapshot(of: ids[samples.count % ids.count])
            samples.append((ContinuousClock.now - start).milliseconds)
            // A person's screen asks a few hundred times a second at most.
            try await Task.sleep(for: .milliseconds(2))
        }
        let elapsed = ContinuousClock.now - begin
        drain.cancel()
        await drain.value
        _ = await registry.shutdown(grace: .seconds(2))
        let distribution = Distribution(samples)
        let label = "snapshot(of:) while 4 agents grep \(megabytes) MB and read large files"
        report.add("no blocking", "\(label), median", distribution.median, unit: "ms")
        report.add(
            "no blocking", "\(label), p99 (\(samples.count) samples over \(Int(elapsed.seconds)) s)", distribution.p99,
            unit: "ms", target: "< 5 ms", met: distribution.p99 < 5
        )
        report.add("no blocking", "\(label), max", distribution.max, unit: "ms")
    }

    /// A tree of text files, `megabytes` MB in all: 1 MB files of numbered lines in folders of
    /// 50; returns their paths relative to `root`.
    static func makeTree(at root: URL, megabytes: Int) throws -> [String] {
        var line = 0
        var paths: [String] = []
        for index in 0..<megabytes {
            let folder = "d\(index / 50)"
            try FileManager.default.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
            var text = ""
            text.reserveCapacity(1 << 20 + 100)
            while text.utf8.count < 1 << 20 {
                text += "line \(line): the quick brown fox jumps over the lazy dog, file \(index)\n"
                line += 1
            }
            let path = "\(folder)/f\(index).txt"
            try Data(text.utf8).write(to: root.appendingPathComponent(path))
            paths.append(path)
        }
        return paths
    }
}

extension Optional {
    /// The value, or a `BenchmarkError` when there is none.
    fileprivate func unwrap(_ what: String) throws -> Wrapped {
        guard let self else { throw BenchmarkError("no \(what)") }
        return self
    }
}
