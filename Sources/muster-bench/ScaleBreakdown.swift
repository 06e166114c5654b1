import Foundation
import MusterCore
import MusterScripted
import MusterTestSupport
import Synchronization

/// Where an idle background agent's memory goes (`--only scale-breakdown`): the same number of
/// tasks, each waiting in one way, from a bare task up to a whole agent inside a scripted model
/// step; each variant runs in a process of its own (the bench runs itself again with
/// `MUSTER_BENCH_BREAKDOWN=<variant>`), so no variant reuses memory another freed.
enum ScaleBreakdown {
    static let variants: [(name: String, label: String)] = [
        ("task-continuation", "a bare task awaiting a continuation"),
        ("task-sleep", "a bare task in Task.sleep"),
        ("task-asynclet-sleep", "a bare task, Task.sleep in an async let child"),
        ("task-stream-sleep", "a bare task, Task.sleep in an AsyncThrowingStream(unfolding:)"),
        ("registry-sleep", "a registry task (body in Task.sleep)"),
        ("agent", "an agent inside a scripted model step (the scale bench)"),
    ]

    /// Runs every variant in a child process and reports each one's resident memory per task.
    static func run(report: BenchmarkReport, tasks: Int) throws {
        for (name, label) in variants {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            var environment = ProcessInfo.processInfo.environment
            environment["MUSTER_BENCH_BREAKDOWN"] = "\(name):\(tasks)"
            process.environment = environment
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            let bytes = Double(output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? .nan
            report.add("scale breakdown", "\(label), per task (\(tasks))", bytes / 1024, unit: "KB")
        }
    }

    private static let waiting = Atomic<Int>(0)
    private static let parked = Mutex<[CheckedContinuation<Void, Never>]>([])

    /// In the child: starts `tasks` tasks of `variant`, prints the resident bytes per task, exits.
    static func child(_ argument: String) async -> Never {
        let parts = argument.split(separator: ":")
        let variant = String(parts[0])
        let tasks = parts.count > 1 ? Int(parts[1]) ?? 10_000 : 10_000
        let long = Duration.seconds(3600)
        let baseline = ProcessStats.residentBytes()
        var handles: [Task<Void, Never>] = []
        handles.reserveCapacity(tasks)
        var runtime: AgentRuntime?
        switch variant {
        case "task-continuation":
            for _ in 0..<tasks {
                handles.append(Task.detached {
                    await withCheckedContinuation { continuation in
                        parked.withLock { $0.append(continuation) }
                        waiting.add(1, ordering: .relaxed)
                    }
                })
            }
        case "task-sleep":
            for _ in 0..<tasks {
                handles.append(Task.detached {
                    waiting.add(1, ordering: .relaxed)
                    try? await Task.sleep(for: long)
                })
            }
        case "task-asynclet-sleep":
            for _ in 0..<tasks {
                handles.append(Task.detached {
                    async let slept: Void = { waiting.add(1, ordering: .relaxed); try? await Task.sleep(for: long) }()
                    await slept
                })
            }
        case "task-stream-sleep":
            for _ in 0..<tasks {
                handles.append(Task.detached {
                    let stream = AsyncThrowingStream<Int, any Error>(unfolding: {
                        waiting.add(1, ordering: .relaxed)
                        try await Task.sleep(for: long)
                        return nil
                    })
                    do { for try await _ in stream {} } catch {}
                })
            }
        case "registry-sleep":
            let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: tasks + 1))
            for index in 0..<tasks {
                _ = try? await registry.start(.init(name: "idle", description: "wait \(index)", mode: .background)) { _ in
                    waiting.add(1, ordering: .relaxed)
                    try await Task.sleep(for: long)
                    return ""
                }
            }
        default:
            let script = try! ScriptLoader.load(text: """
                { "version": 1, "agents": { "idle": { "scenarios": [ { "name": "wait", "turns": [
                  { "wait_ms": 3600000, "say": "woke up" } ] } ] } } }
                """, origin: "bench-scale.json")
            let made = makeRuntime(model: ScriptedModel(script: script, clock: ContinuousClock()), tools: [], taskTools: false,
                                   maxBackgroundAgents: tasks + 1)
            runtime = made
            let events = made.events.subscribe(where: CoreBenchmarks.isTaskEvent)
            for index in 0..<tasks {
                _ = try? await made.startBackgroundAgent(name: "idle", prompt: "wait \(index)", spawner: .topLevel)
            }
            var running = 0
            for await event in events {
                if case .task(.updated(let snapshot)) = event, case .running(1, _) = snapshot.status { running += 1 }
                if running == tasks { break }
            }
            waiting.store(tasks, ordering: .relaxed)
        }
        while waiting.load(ordering: .relaxed) < tasks { try? await Task.sleep(for: .milliseconds(5)) }
        // Past the last counter, every task reaches its wait.
        try? await Task.sleep(for: .milliseconds(500))
        let perTask = Double(ProcessStats.residentBytes() - baseline) / Double(tasks)
        print(perTask)
        withExtendedLifetime((handles, runtime)) {}
        exit(0)
    }
}
