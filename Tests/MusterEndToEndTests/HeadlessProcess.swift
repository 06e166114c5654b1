import Foundation
import MusterTmux
import MusterCore

/// Runs the built `muster` binary headless in a scratch folder (its own workspace and state
/// home), collects what it writes, and waits for output or exit by polling with a deadline.
final class HeadlessProcess {
    /// Why a test could not go on.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The built binary, or nil (the tests then skip).
    static let binary = MusterBinary.url

    static let packageRoot = MusterBinary.packageRoot
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    /// The script of these tests: `fast` lists files, `sleeper` runs `sleep <prompt>`.
    static let script = fixtures.appendingPathComponent("headless.json")

    /// A fresh scratch folder with `workspace/` (one file) and `state/`.
    static func makeScratch() throws -> URL {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("muster-headless-\(UUID().uuidString.prefix(8).lowercased())")
        try FileManager.default.createDirectory(at: scratch.appendingPathComponent("workspace"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: scratch.appendingPathComponent("state"), withIntermediateDirectories: true)
        try "hello\n".write(to: scratch.appendingPathComponent("workspace/notes.txt"), atomically: true, encoding: .utf8)
        return scratch
    }

    /// A prompt that makes `sleeper` sleep about `seconds` and is unique on this machine, so its
    /// processes can be found in /proc: `30.482913`.
    static func sleepPrompt(seconds: Int) -> String {
        "\(seconds).\(Int.random(in: 100_000...999_999))"
    }

    let process = Process()
    let scratch: URL
    private let output = Locked<(out: Data, err: Data, openPipes: Int)>((Data(), Data(), 2))

    /// Starts `muster` with `arguments` in `scratch` (workspace as the current directory,
    /// state home and HOME inside the scratch folder).
    /// `input`: standard input (default: empty), e.g. a pipe the test writes lines to.
    init(_ arguments: [String], scratch: URL, script: URL? = HeadlessProcess.script, environment extra: [String: String] = [:], input: Pipe? = nil) throws {
        guard let binary = Self.binary else { throw Failure(description: "The muster binary is not built.") }
        self.scratch = scratch
        process.executableURL = binary
        process.arguments = (script.map { ["--script", $0.path] } ?? []) + arguments
        process.currentDirectoryURL = scratch.appendingPathComponent("workspace")
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_STATE_HOME"] = scratch.appendingPathComponent("state").path
        environment["HOME"] = scratch.path
        environment["MUSTER_MAX_BACKGROUND_AGENTS"] = nil
        environment["MUSTER_MODEL_PROVIDER"] = nil
        // The test scripts run any command on purpose (sleeps, servers, escapes): they are
        // not about approvals, so they run in mode auto; the bundled demo (script nil) keeps the
        // default, ask, and a test's --permission-mode wins over this.
        environment["MUSTER_PERMISSION_MODE"] = script == nil ? nil : "auto"
        environment.merge(extra) { _, new in new }
        process.environment = environment
        process.standardInput = input ?? FileHandle.nullDevice
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // A blocking reader thread per pipe: Foundation's readabilityHandler sometimes misses
        // the end of a pipe on Linux (seen here under load), which would hang `waitForExit`.
        for (pipe, isOut) in [(out, true), (err, false)] {
            let handle = pipe.fileHandleForReading
            Thread { [output] in
                while true {
                    let data = handle.availableData
                    let done = output.withLock { state -> Bool in
                        if data.isEmpty {
                            state.openPipes -= 1
                            return true
                        }
                        if isOut { state.out.append(data) } else { state.err.append(data) }
                        return false
                    }
                    if done { return }
                }
            }.start()
        }
    }

    var pid: Int32 { process.processIdentifier }
    var standardOutput: String { String(decoding: output.withLock { $0.out }, as: UTF8.self) }
    var standardError: String { String(decoding: output.withLock { $0.err }, as: UTF8.self) }

    /// Waits until standard output satisfies `condition`.
    func waitForOutput(timeout: Duration = .seconds(30), _ condition: (String) -> Bool) async throws {
        try await poll(timeout: timeout, what: "the expected output") { condition(self.standardOutput) }
    }

    /// Waits for the process to exit and its pipes to close; returns its exit status (128 + the
    /// signal number when a signal ended it).
    @discardableResult
    func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32 {
        try await poll(timeout: timeout, what: "the exit") { !self.process.isRunning && self.output.withLock { $0.openPipes == 0 } }
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// Sends a signal to the process.
    func send(_ signal: Int32) {
        kill(pid, signal)
    }

    /// Kills the process if it still runs (cleanup after a failed test).
    func stop() {
        if process.isRunning { kill(pid, SIGKILL) }
    }

    private func poll(timeout: Duration, what: String, _ done: () -> Bool) async throws {
        do {
            try await Self.waitUntil(timeout: timeout, what: what, done)
        } catch {
            let state = "running: \(process.isRunning), open pipes: \(output.withLock { $0.openPipes })"
            throw Failure(description: "\(error) (\(state)).\nstdout:\n\(standardOutput)\nstderr:\n\(standardError)")
        }
    }

    /// Waits for state outside this process (pipes, /proc) that sends no event: see `OutsideState`.
    static func waitUntil(timeout: Duration, what: String, _ done: () -> Bool) async throws {
        guard try await OutsideState.poll(timeout: timeout, until: done) else {
            throw Failure(description: "Timed out after \(timeout) waiting for \(what)")
        }
    }

    /// Processes whose command line contains `marker` (zombies have none and are not listed).
    static func processes(containing marker: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self).contains(marker)
        }
    }

    /// Every record of a log or a stream-json output; throws on a line that is not a record.
    static func records(_ text: String) throws -> [SessionRecord] {
        try text.split(separator: "\n").map { try SessionRecord.parse($0) }
    }

    /// The only session log in the scratch folder's sessions directory.
    func sessionLog() throws -> URL {
        let directory = scratch.appendingPathComponent("state/muster/sessions")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".jsonl") }
        guard names.count == 1, let name = names.first else {
            throw Failure(description: "Expected one session log in \(directory.path), found \(names).")
        }
        return directory.appendingPathComponent(name)
    }
}
