import Foundation
import MusterCore
import MusterTestSupport

// `muster-bench [--quick]`: measures what Muster exists for and prints a table; writes JSON to
// .build/bench-results.json. Figures are reported, never asserted: a missed target is printed as MISSED.

// `--only GROUP` runs one group (core, front-end, processes) or one benchmark (stop-latency,
// shell-stop, scale, scale-100k, registry-scale, throughput, transcript-memory, no-blocking, log-flood, task-dialog, latency,
// background-shell, model-calls, queue, sandbox, resume, scale-breakdown). `--baseline PATH`: the start-up and headless figures are also taken
// with that `muster` binary, alternately with this one, and their ratio printed.
let benchmarkNames = [
    "core", "front-end", "processes", "stop-latency", "shell-stop", "scale", "scale-100k", "registry-scale", "throughput", "transcript-memory",
    "no-blocking", "log-flood", "task-dialog", "latency", "background-shell", "model-calls", "queue", "sandbox", "resume", "scale-breakdown",
]
if let variant = ProcessInfo.processInfo.environment["MUSTER_BENCH_BREAKDOWN"] {
    await ScaleBreakdown.child(variant)
}
let arguments: BenchArguments
do {
    arguments = try BenchArguments(Array(CommandLine.arguments.dropFirst()), names: benchmarkNames)
} catch {
    FileHandle.standardError.write(Data("muster-bench: \(error.description)\n".utf8))
    exit(2)
}
let quick = arguments.quick
let only = arguments.only
func selected(_ names: String...) -> Bool { only.map(names.contains) ?? true }
let report = BenchmarkReport()
let workspace = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
let binDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
let scriptsDirectory = workspace.appendingPathComponent("Resources/bench")

func attempt(_ name: String, _ body: () async throws -> Void) async {
    do {
        try await body()
    } catch {
        FileHandle.standardError.write(Data("  \(name) could not run: \(error)\n".utf8))
        report.add(name, "did not run: \(error)", .nan, unit: "")
    }
}

let core = CoreBenchmarks(report: report, trials: quick ? 100 : 1_000, agents: quick ? 1_000 : 10_000, workspace: workspace)
FileHandle.standardError.write(Data("Measuring (this takes a minute or two)…\n".utf8))
if selected("core", "stop-latency") {
    await attempt("stop latency") { try await core.stopLatencyInModelStream() }
}
if selected("core", "shell-stop") {
    await attempt("stop latency") { try await core.stopLatencyInShell(trials: quick ? 50 : 1_000) }
}
if selected("core", "background-shell") {
    let shells = BackgroundShellBenchmarks(report: report, workspace: workspace)
    await attempt("background shell") { try await shells.stopLatency(trials: quick ? 50 : 300) }
    await attempt("background shell") { try await shells.throughput(megabytes: quick ? 200 : 1_000) }
}
if selected("core", "sandbox") {
    let sandbox = SandboxBenchmarks(report: report, workspace: workspace)
    await attempt("sandbox") { try await sandbox.startCost(trials: quick ? 100 : 500) }
}
if selected("core", "scale") {
    await attempt("scale") { try await core.scale() }
}
if selected("core", "throughput") {
    await attempt("throughput") { try await core.progressThroughput(calls: 100, eventsPerCall: quick ? 1_000 : 10_000) }
}
if only == "scale-breakdown" {
    await attempt("scale breakdown") { try ScaleBreakdown.run(report: report, tasks: quick ? 10_000 : 100_000) }
}
if selected("core", "scale-100k") {
    await attempt("scale 100k") { try await core.scale(agents: quick ? 10_000 : 100_000, targets: .hundredThousand) }
}
if selected("core", "registry-scale") {
    await attempt("registry alone") { try await RegistryScaleBenchmark(report: report).run(tasks: quick ? 10_000 : 100_000) }
}
let watch = WatchBenchmarks(report: report, workspace: workspace)
if selected("core", "transcript-memory") {
    await attempt("watch") { try await watch.transcriptMemory(agents: quick ? 500 : 2_000) }
}
if selected("core", "no-blocking") {
    await attempt("no blocking") { try await watch.registryUnderFileLoad(megabytes: quick ? 50 : 500) }
}
if selected("core", "log-flood") {
    await attempt("log") { try await LogFloodBenchmark(report: report, workspace: workspace).run(lines: quick ? 300_000 : 3_000_000) }
}
if selected("core", "model-calls") {
    await attempt("model calls") { try await ModelCallBenchmark(report: report).run(spread: quick ? .seconds(2) : .seconds(10)) }
}
if selected("core", "queue") {
    await attempt("queue") { try await QueueBenchmark(report: report).run(launches: quick ? 1_000 : 10_000, cap: 10) }
}
if selected("core", "resume") {
    await attempt("resume") { try await ResumeBenchmark(report: report).run(tasks: 1_000, records: quick ? 20_000 : 100_000) }
}
if selected("front-end") {
    await attempt("front end") { try await FrontEndBenchmarks(report: report).run(quick: quick) }
}
if selected("front-end", "latency") {
    await attempt("latency") { try await LatencyBenchmarks(report: report).run(quick: quick) }
}
if selected("front-end", "task-dialog") {
    await attempt("task dialog") { try await TaskDialogBenchmarks(report: report).run(quick: quick) }
}

let processes = ProcessBenchmarks(report: report, binary: binDirectory.appendingPathComponent("muster"), workspace: workspace)
if selected("processes") {
    await attempt("start-up") { try await processes.versionStartup() }
    if let baseline = arguments.baseline {
        await attempt("side by side") {
            try await processes.sideBySide(baseline: URL(fileURLWithPath: baseline), runs: quick ? 5 : 20)
        }
    }
    await attempt("start-up") {
        try await processes.interactive(scriptsDirectory: scriptsDirectory, launches: quick ? 3 : 10, idleSeconds: quick ? 3 : 10)
    }
}

print("")
report.printTable()
let machine = [
    "cores": "\(ProcessInfo.processInfo.activeProcessorCount)",
    "memory": "\(ProcessInfo.processInfo.physicalMemory / 1_073_741_824) GiB",
    "os": ProcessInfo.processInfo.operatingSystemVersionString,
]
let output = workspace.appendingPathComponent(".build/bench-results.json")
do {
    try report.writeJSON(to: output, machine: machine)
    print("\nWrote \(output.path)")
} catch {
    FileHandle.standardError.write(Data("Could not write \(output.path): \(error)\n".utf8))
}
