import Foundation
import MusterTmux

/// Benchmarks that run the built `muster` binary: start-up, first paint and idle CPU in tmux.
struct ProcessBenchmarks {
    let report: BenchmarkReport
    let binary: URL
    let workspace: URL

    /// `muster --version`, median of several runs.
    func versionStartup(runs: Int = 20) async throws {
        var samples: [Double] = []
        for _ in 0..<runs {
            let start = ContinuousClock.now
            let outcome = await ShortCommand.run([binary.path, "--version"])
            guard outcome.status == 0 else { throw BenchmarkError("muster --version exited with \(outcome.status): \(outcome.output)") }
            samples.append((ContinuousClock.now - start).milliseconds)
        }
        report.add("start-up", "muster --version, median of \(runs)", Distribution(samples).median, unit: "ms")
    }

    /// `muster --version` and a one-turn headless run (`-p`, scripted), each timed with this
    /// binary and with `baseline` alternately, run after run, so both see the same machine;
    /// the medians and their ratio (this / baseline: below 1 is faster).
    func sideBySide(baseline: URL, runs: Int) async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("muster-bench-side-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        // A script of its own: a baseline's bundled scripts may be in another format.
        let script = scratch.appendingPathComponent("hi.json")
        try Data(#"{ "version": 1, "agents": { "main": { "scenarios": [ { "name": "hi", "turns": [ { "say": "hello" } ] } ] } } }"#.utf8)
            .write(to: script)
        let log = scratch.appendingPathComponent("log.jsonl").path
        let figures: [(name: String, arguments: [String])] = [
            ("muster --version", ["--version"]),
            ("headless run of one scripted turn (muster -p)", ["-p", "hi", "--script", script.path, "--log-file", log]),
        ]
        for figure in figures {
            var current: [Double] = []
            var previous: [Double] = []
            for _ in 0..<runs {
                for (index, binary) in [self.binary, baseline].enumerated() {
                    let start = ContinuousClock.now
                    let outcome = await ShortCommand.run([binary.path] + figure.arguments)
                    guard outcome.status == 0 else {
                        throw BenchmarkError("\(binary.path) \(figure.arguments.joined(separator: " ")) exited with \(outcome.status): \(outcome.output)")
                    }
                    let elapsed = (ContinuousClock.now - start).milliseconds
                    if index == 0 { current.append(elapsed) } else { previous.append(elapsed) }
                }
            }
            let now = Distribution(current).median
            let before = Distribution(previous).median
            let medians = "\(BenchmarkReport.format(now)) ms / \(BenchmarkReport.format(before)) ms"
            report.add(
                "side by side", "\(figure.name), medians of \(runs) alternate runs, this / baseline (\(medians))", now / before,
                unit: "×", detail: "baseline: \(baseline.path)"
            )
        }
    }

    /// Launch to first painted frame (median of several launches), then idle CPU over `idleSeconds`
    /// with no tasks and with 10 background agents waiting on long steps.
    func interactive(scriptsDirectory: URL, launches: Int, idleSeconds: Int) async throws {
        guard await ShortCommand.run(["tmux", "-V"]).status == 0 else { throw BenchmarkError("tmux is not installed") }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("muster-bench-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let script = scriptsDirectory.appendingPathComponent("bench-idle.json")
        let command = [binary.path, "--script", script.path, "--workspace", workspace.path]
        // Its own history, logs and session files: the benchmark never touches the user's.
        let environment = [
            "LANG": "C.UTF-8", "TERM": "xterm-256color",
            "HOME": scratch.path, "XDG_STATE_HOME": scratch.appendingPathComponent("state").path,
        ]

        var paints: [Double] = []
        for launch in 0..<launches {
            let start = ContinuousClock.now
            let pane = try await TmuxPane(server: "muster-bench-\(getpid())-\(launch)", command: command, environment: environment)
            try await pane.killingServer { pane in
                // The status bar's pill is the last thing the first frame draws.
                try await waitFor(pane, toShow: "agents", timeout: .seconds(20))
                paints.append((ContinuousClock.now - start).milliseconds)
            }
        }
        report.add("start-up", "launch to first painted frame in tmux, median of \(launches)", Distribution(paints).median, unit: "ms")

        let pane = try await TmuxPane(server: "muster-bench-\(getpid())-idle", command: command, environment: environment)
        try await pane.killingServer { pane in
            try await waitFor(pane, toShow: "agents", timeout: .seconds(20))
            guard let pid = await pane.commandPID() else { throw BenchmarkError("could not find muster's pid in the pane") }
            // Start-up work (history load, session log) settles before idle is measured.
            try await Task.sleep(for: .seconds(1))
            let idle = try await cpu(pid: pid, over: idleSeconds)
            report.add("idle", "CPU over \(idleSeconds) s, no tasks", idle * 1000, unit: "ms",
                       target: "< \(idleSeconds) ms", met: idle < 0.001 * Double(idleSeconds))

            await pane.type("launch ten")
            await pane.press(["Enter"])
            try await waitFor(pane, toShow: "10/", timeout: .seconds(20))
            try await waitFor(pane, toShow: "All ten are running", timeout: .seconds(20))
            try await Task.sleep(for: .seconds(1))
            let busy = try await cpu(pid: pid, over: idleSeconds)
            report.add("idle", "CPU over \(idleSeconds) s, 10 agents on long steps", busy * 1000, unit: "ms",
                       target: "< \(5 * idleSeconds) ms", met: busy < 0.005 * Double(idleSeconds))
        }
    }

    private func waitFor(_ pane: TmuxPane, toShow text: String, timeout: Duration) async throws {
        // Every 10 ms: the first-paint figure is only as fine as this step.
        try await pane.waitForScreen(timeout: timeout, every: .milliseconds(10), "to show \"\(text)\"") { $0.contains(text) }
    }

    /// User plus system CPU seconds `pid` used over `seconds`.
    private func cpu(pid: Int32, over seconds: Int) async throws -> Double {
        guard let before = ProcessStats.cpuSeconds(pid: pid) else { throw BenchmarkError("cannot read /proc/\(pid)/stat") }
        try await Task.sleep(for: .seconds(seconds))
        guard let after = ProcessStats.cpuSeconds(pid: pid) else { throw BenchmarkError("muster exited during the measurement") }
        return after - before
    }
}
