import Foundation

/// Benchmarks that run the built `muster` binary: start-up, first paint and idle CPU in tmux.
struct ProcessBenchmarks {
    let report: BenchmarkReport
    let binary: URL
    let workspace: URL

    /// `muster --version`, median of several runs.
    func versionStartup(runs: Int = 20) throws {
        var samples: [Double] = []
        for _ in 0..<runs {
            let start = ContinuousClock.now
            let process = Process()
            process.executableURL = binary
            process.arguments = ["--version"]
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            samples.append((ContinuousClock.now - start).milliseconds)
        }
        report.add("start-up", "muster --version, median of \(runs)", Distribution(samples).median, unit: "ms")
    }

    /// Launch to first painted frame, then idle CPU with no tasks and with 10 agents on long steps.
    func interactive(scriptsDirectory: URL) throws {
        let tmux = Tmux(socket: "muster-bench-\(getpid())")
        defer { tmux.kill() }
        let script = scriptsDirectory.appendingPathComponent("bench-idle.json")
        let start = ContinuousClock.now
        try tmux.start(command: [binary.path, "--script", script.path, "--workspace", workspace.path])
        guard tmux.waitFor("agents", timeout: .seconds(20)) else { throw BenchmarkError("the first frame never appeared") }
        report.add("start-up", "launch to first painted frame (tmux)", (ContinuousClock.now - start).milliseconds, unit: "ms")

        guard let pid = tmux.appPID() else { throw BenchmarkError("could not find muster's pid") }
        // Let start-up work settle before measuring idle.
        Thread.sleep(forTimeInterval: 1)
        let idle = try cpu(pid: pid, over: 10)
        report.add("idle", "CPU over 10 s, no tasks", idle * 1000, unit: "ms", target: "< 10 ms", met: idle < 0.010)

        tmux.type("launch ten")
        guard tmux.waitFor("10/10 agents", timeout: .seconds(20)) else { throw BenchmarkError("ten agents never ran") }
        Thread.sleep(forTimeInterval: 1)
        let busy = try cpu(pid: pid, over: 10)
        report.add("idle", "CPU over 10 s, 10 agents on long steps", busy * 1000, unit: "ms", target: "< 50 ms", met: busy < 0.050)
    }

    private func cpu(pid: Int32, over seconds: Double) throws -> Double {
        guard let before = ProcessStats.cpuSeconds(pid: pid) else { throw BenchmarkError("cannot read /proc/\(pid)/stat") }
        Thread.sleep(forTimeInterval: seconds)
        guard let after = ProcessStats.cpuSeconds(pid: pid) else { throw BenchmarkError("muster exited during the measurement") }
        return after - before
    }
}

/// A private tmux server driving one pane.
struct Tmux {
    let socket: String

    /// Runs a tmux command and returns its output. `capture: false` for commands that may start
    /// the tmux server: the server would inherit the pipe and the read would never end.
    @discardableResult
    func run(_ arguments: [String], capture: Bool = true) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["tmux", "-L", socket] + arguments
        process.standardInput = FileHandle.nullDevice
        guard capture else {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            do { try process.run() } catch { return "" }
            process.waitUntilExit()
            return ""
        }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return "" }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    func start(command: [String]) throws {
        let quoted = command.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        run(["new-session", "-d", "-x", "120", "-y", "40", "-e", "LANG=C.UTF-8", "-e", "TERM=xterm-256color",
             "sh -c 'trap : INT; \"$0\" \"$@\"; echo \"[exit $?]\"; exec sleep 600' " + quoted], capture: false)
    }

    func screen() -> String { run(["capture-pane", "-p"]) }

    func waitFor(_ text: String, timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if screen().contains(text) { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }

    func type(_ text: String) {
        run(["send-keys", "-l", text])
        run(["send-keys", "Enter"])
    }

    /// The app is the only child of the pane's shell wrapper.
    func appPID() -> Int32? {
        let panePID = run(["display-message", "-p", "#{pane_pid}"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["pgrep", "-P", panePID]
        let pipe = Pipe()
        process.standardOutput = pipe
        try? process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").first.flatMap { Int32($0) }
    }

    func kill() { run(["kill-server"]) }
}
