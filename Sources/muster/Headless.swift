import Dispatch
import Foundation
import MusterCore
import MusterHeadless
import MusterOpenAI

/// Runs the main agent on `prompt` without a terminal and returns how it ended: completed,
/// the agent failed, or stopped by SIGINT/SIGTERM/SIGHUP (everything cancelled and the log
/// written first).
///
/// The first signal arms the `ExitDeadline` (tool processes killed at 1.5 s, forced exit at 2 s,
/// whatever has not returned: a model, a tool, the log writer); a second signal exits at once,
/// after killing every tool process. SIGPIPE is ignored: a closed output pipe becomes a write
/// error, reported once.
func runHeadless(setup: SessionSetup, command: Muster, prompt: String, resumed: SessionResume.Loaded?) async -> RunEnding {
    signal(SIGPIPE, SIG_IGN)
    let (stops, stop) = AsyncStream<RunEnding>.makeStream()
    // Stays armed until the signal source goes: what follows the run (the log) is bounded too.
    let deadline = ExitDeadline(unfinished: "The answer may not have been printed, and the session log may lack its last records.") {
        StandardStreams().report($0)
    }
    let signals = SignalSource(stopping: [SIGINT, SIGTERM, SIGHUP], deadline: deadline) { event in
        if case .stop(let ending) = event { stop.yield(ending) }
    }
    defer { signals.cancel() }

    let environment = ProcessInfo.processInfo.environment
    let output = StandardStreams()
    let background: HeadlessOptions.BackgroundPolicy = if command.noWait {
        .noWait
    } else {
        // Clamped so that an absurd value (validated finite and >= 0) cannot overflow: ~30 years.
        .wait(timeout: command.backgroundTimeout.map { .milliseconds(Int64((min($0, 1e9) * 1000).rounded())) })
    }
    // Tasks get part of the hard deadline to stop; the rest is for writing the result and the log.
    let options = HeadlessOptions(
        outputFormat: HeadlessOptions.OutputFormat(command.outputFormat), background: background,
        shutdownGrace: ExitDeadline.taskGrace
    )
    let log = SessionLogLocation(logFile: command.logFile)
    let runner = HeadlessRunner(
        session: setup.session, options: options, log: log,
        metadata: SessionMetadata(mode: .headless, command: command, setup: setup, environment: environment),
        output: output,
        // The background timeout is the person's wall-clock bound, even when scripts run on
        // the immediate clock.
        clock: ContinuousClock(),
        environment: environment,
        warnings: setup.warnings,
        processes: .shared
    )
    let outcome = await runner.run(prompt: prompt, stops: stops, resume: resumed.map { loaded in
        (log: loaded.logFile, apply: { session in await command.restore(loaded, into: session) })
    })
    return outcome.ending
}

extension HeadlessOptions.OutputFormat {
    init(_ format: OutputFormat) {
        switch format {
        case .text: self = .text
        case .json: self = .json
        case .streamJSON: self = .streamJSON
        }
    }
}

extension SessionLogLocation {
    /// `--log-file PATH`, else a new file in the sessions directory.
    init(logFile: String?) {
        self = logFile.map { .file(URL(fileURLWithPath: $0)) } ?? .sessionsDirectory
    }
}

extension SessionMetadata {
    /// What the session log's `session_start` says about a session started from the command line.
    init(mode: Mode, command: Muster, setup: SessionSetup, environment: [String: String]) {
        let fromEnvironment = environment[OpenAIConfiguration.EnvironmentKey.provider].flatMap { $0.isEmpty ? nil : $0 }
        let provider = command.modelProvider ?? fromEnvironment ?? "scripted"
        let model = provider == "scripted" ? provider : "\(provider):\(command.model ?? environment["MUSTER_MODEL"] ?? "default")"
        self.init(
            mode: mode, workspace: setup.workspace.path, model: model,
            script: provider == "scripted" ? command.script : nil,
            maxBackgroundAgents: setup.session.registry.maxBackgroundAgents,
            sandbox: setup.session.runtime.backgroundShells.configuration.sandbox.status
        )
    }
}

/// Standard output and error through `write(2)`, unbuffered, so `stream-json` lines leave
/// as they happen and nothing waits in a buffer when the process ends.
struct StandardStreams: HeadlessOutput {
    let standardOutputIsTerminal = isatty(STDOUT_FILENO) == 1

    func write(_ text: String) throws(SessionSinkError) {
        if let failure = Self.write(text, to: STDOUT_FILENO) {
            throw SessionSinkError("Cannot write to standard output: \(failure).")
        }
    }

    func report(_ line: String) {
        _ = Self.write(line + "\n", to: STDERR_FILENO)
    }

    /// Writes everything, retrying short writes and EINTR; returns the reason of a failure.
    private static func write(_ text: String, to descriptor: Int32) -> String? {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBytes { buffer -> String? in
            guard let base = buffer.baseAddress else { return nil }
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(descriptor, base + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                offset += written
            }
            return nil
        }
    }
}
