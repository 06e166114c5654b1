import Foundation
import Subprocess
import Synchronization

#if canImport(System)
import System
#else
import SystemPackage
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `shell`: runs a command with `/bin/sh -c` in the workspace, streaming its output as progress.
///
/// The command runs in a session and process group of its own. However the call ends (the
/// command exits, times out, or the calling task is cancelled) no process it started survives
/// it, in the group or out of it (`setsid`, double forks: see `ToolProcessRegistry`): SIGTERM
/// first, SIGKILL after the grace period.
public struct ShellTool: Tool {
    /// Time the command's processes get between SIGTERM and SIGKILL.
    public let grace: Duration
    /// Clock of the timeout. (The grace period is real time: swift-subprocess waits it on the
    /// system clock, and a kill must never wait for a test clock to be advanced.)
    let clock: any Clock<Duration>

    static let defaultTimeout: Double = 120
    static let maxTimeout: Double = 24 * 60 * 60
    /// Bytes kept of one output line (in progress and in the result).
    static let maxLineBytes = 4_000
    /// Output kept for the result: this much from the start and this much from the end.
    static let headBytes = 10_000
    static let tailBytes = 20_000
    /// `MUSTER_TOOL_CALL`, a valid name (no `=`, not empty), so the conversion cannot fail.
    static let markerKey = Environment.Key(rawValue: ToolProcessRegistry.markerVariable)!

    /// A shell tool whose processes get `grace` (real time) to exit after SIGTERM; `clock` times the timeout.
    public init(grace: Duration = .seconds(2), clock: any Clock<Duration> = ContinuousClock()) {
        self.grace = grace
        self.clock = clock
    }

    public let spec = ToolSpec(
        name: "shell",
        description: """
            Run a shell command with /bin/sh -c in the workspace directory. Standard output and \
            standard error are merged; the result shows the output (long output keeps its start \
            and end) and the exit status. Standard input is empty. The command and everything \
            it starts are stopped when it times out; background processes do not outlive the call. \
            With background: true the command runs on as a task of its own (a dev server, a \
            watcher, a long build): the call returns its task id at once, read_task_output reads \
            its output, cancel_task stops it, and its result (exit status and last lines) \
            arrives when it exits. Muster may run commands in a sandbox that lets them write only \
            in the workspace and temporary directories ($MUSTER_SCRATCH is always writable); a \
            denied write fails with "Permission denied" and the result says the sandbox denied it.
            """,
        parameters: [
            "type": "object",
            "properties": [
                "command": ["type": "string", "description": "The command line, as for sh -c."],
                "timeout_seconds": [
                    "type": "number",
                    "description": "Stop the command after this many seconds.",
                    "default": 120,
                    "exclusiveMinimum": 0,
                ],
                "background": [
                    "type": "boolean",
                    "description": "Run in the background as a task (no timeout); default false.",
                    "default": false,
                ],
            ],
            "required": ["command"],
            "additionalProperties": false,
        ]
    )

    public var isConcurrencySafe: Bool { false }

    /// Runs the command to its end, its timeout or the caller's cancellation, then stops whatever it left running.
    public func run(_ arguments: JSONValue, context: ToolContext) async throws -> ToolOutput {
        let command = try arguments.requiredString("command")
        let timeout = try arguments.optionalDouble("timeout_seconds") ?? Self.defaultTimeout
        let background = try arguments.optionalBool("background") ?? false
        guard !command.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ToolError("command is empty: give a shell command to run.")
        }
        guard !command.contains("\0") else { throw ToolError("command contains a NUL character.") }
        guard timeout > 0, timeout <= Self.maxTimeout else {
            throw ToolError("timeout_seconds must be more than 0 and at most \(Int(Self.maxTimeout)), not \(Self.number(timeout)).")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: context.workspace.path, isDirectory: &isDirectory),
              isDirectory.boolValue else {
            throw ToolError("The workspace \(context.workspace.path) does not exist or is not a directory.")
        }
        try Task.checkCancellation()
        if background { return try await startInBackground(command, context: context) }
        // The main agent's call runs as a foreground `shell` task, which Ctrl+B can move to the
        // background as it is (see `runMovable`).
        if let runtime = context.runtime, context.agent.asSpawner == .topLevel {
            return try await runMovable(command, timeout: timeout, runtime: runtime, context: context)
        }

        let processes = ToolProcessRegistry.shared.beginCall(callID: context.callID, taskID: context.taskID)
        let started = ProcessGroupRecord(processes: processes)
        let (finished, timedOut) = await race(
            command: command, timeout: .seconds(timeout), context: context, started: started
        )
        // Whatever ended the call, nothing the command started may outlive it: background jobs
        // of a finished command, and processes that ignore SIGTERM (swift-subprocess's teardown
        // stops escalating as soon as the shell itself has exited, so it never kills them).
        // This cleanup must run to the end even when the caller was cancelled (its waits are the
        // grace period), so it runs in a task of its own that does not inherit the cancellation;
        // the task is awaited here and bounded by grace plus the wait after SIGKILL.
        // The shell has been reaped by now, but Linux does not reuse its pid while the group
        // still has members; only an empty group's id could be taken again, by a new group
        // leader within the moment between the shell's exit and this check.
        // Then whatever left the group (`setsid`, double forks) is found by the call's marker in
        // its environment, or as an orphan Muster adopted (see ToolProcessRegistry).
        let grace = self.grace
        let group = started.group
        await Task {
            let (neededKill, table) = await group?.terminateKeepingTable(grace: grace, clock: ContinuousClock()) ?? (false, nil)
            await processes.finish(grace: grace, groupNeededKill: neededKill, table: table)
        }.value
        try Task.checkCancellation()
        return Self.output(finished, timedOut: timedOut, timeout: timeout, sandbox: context.sandbox)
    }

    /// Starts the command as a background `shell` task of the calling agent; a refusal is a result.
    private func startInBackground(_ command: String, context: ToolContext) async throws -> ToolOutput {
        guard let runtime = context.runtime else { throw ToolError("Background shells are not available here.") }
        do {
            let id = try await runtime.backgroundShells.start(
                command: command, spawner: context.agent.asSpawner, registry: runtime.registry, workspace: context.workspace
            )
            context.progress.report("started in the background as task \(id)")
            return ToolOutput("Background shell started (task \(id)). It runs until it exits or is stopped (cancel_task); read_task_output reads its output; its result (exit status and last lines) arrives when it exits.")
        } catch {
            return .error(error.description)
        }
    }

    /// The main agent's call: the command runs as a foreground `shell` task of the top level (its
    /// process group, marker and cleanup those of a background shell, its output going to the
    /// task's rotating file and, while this call waits, to the call's progress), so that
    /// `TaskRegistry.moveToBackground` (Ctrl+B) can let it go on alone: the wait then ends with
    /// `movedToBackground` and the call answers at once, and the registry delivers the result
    /// to the main agent's inbox when the command ends. A timeout or a cancelled caller stops
    /// the task and returns once its processes are gone, as the direct run does.
    private func runMovable(_ command: String, timeout: Double, runtime: AgentRuntime, context: ToolContext) async throws -> ToolOutput {
        // Both written by the shell task's pump thread and body, read here once the task ended.
        let collector = Locked(ShellOutputCollector(headLimit: Self.headBytes, tailLimit: Self.tailBytes))
        let ending = Locked<ShellCommandRun.Outcome?>(nil)
        let progress = context.progress
        let (mirror, closeMirror) = ToolProgress.forwarding { line in
            progress.report(line)
            collector.withLock { $0.add(line) }
        }
        defer { closeMirror() }
        let registry = runtime.registry
        let id: TaskID
        do {
            id = try await runtime.backgroundShells.start(
                command: command, spawner: .topLevel, registry: registry, workspace: context.workspace,
                mode: .foreground, mirror: mirror, callID: context.callID, ended: { outcome in ending.withLock { $0 = outcome } }
            )
        } catch {
            return .error(error.description)
        }
        let sleepUntilDeadline = clock.deadlineSleep(after: .seconds(timeout))
        // The wait against the timeout; a move (Ctrl+B) resolves the wait in the registry.
        let (waited, timedOut) = await withTaskGroup(of: MovableRaceEvent.self) { group in
            group.addTask { await .waited(registry.wait(for: id, requestedBy: .topLevel)) }
            group.addTask { (try? await sleepUntilDeadline()) == nil ? .timerStopped : .timeoutElapsed }
            var waited = TaskRegistry.WaitOutcome.cancelled
            var timedOut = false
            for await event in group {
                switch event {
                case .waited(let outcome): waited = outcome
                case .timeoutElapsed: timedOut = true
                case .timerStopped: continue
                }
                group.cancelAll()
            }
            return (waited, timedOut)
        }
        var final = waited
        switch waited {
        case .movedToBackground:
            closeMirror()
            return ToolOutput(BackgroundShells.movedAnswer(id))
        case .cancelled:
            // Timed out, or the caller was cancelled: stop it, and answer once its processes are
            // gone (awaited in a task that is not cancelled).
            await registry.cancel(id, source: timedOut ? .spawner : .turnInterrupted)
            final = await Task { await registry.wait(for: id, requestedBy: .topLevel) }.value
        default:
            break
        }
        try Task.checkCancellation()
        guard case .finished(let result) = final else { return .error("The command did not finish.") }
        let outcome: ShellCommandRun.Outcome
        if let ended = ending.withLock({ $0 }) {
            outcome = ended
        } else if case .failed(let error) = result.status {
            outcome = .failed(error)
        } else {
            outcome = .failed("the command did not run")
        }
        return Self.output(outcome, collector: collector.withLock { $0 }, timedOut: timedOut, timeout: timeout, sandbox: context.sandbox)
    }

    /// Runs the command against its timeout. Cancelling the command's child task makes
    /// swift-subprocess send SIGTERM to the whole group and SIGKILL after the grace period.
    private func race(
        command: String, timeout: Duration, context: ToolContext, started: ProcessGroupRecord
    ) async -> (CommandOutcome, timedOut: Bool) {
        // The deadline is fixed now, before either task runs: a timer task that starts late
        // still ends at the same moment (and on a test clock already past it, at once).
        let sleepUntilDeadline = clock.deadlineSleep(after: timeout)
        return await withTaskGroup(of: RaceEvent.self) { group in
            group.addTask {
                await .commandEnded(self.execute(command, context: context, started: started))
            }
            group.addTask {
                do {
                    try await sleepUntilDeadline()
                    return .timeoutElapsed
                } catch {
                    return .timerStopped
                }
            }
            var outcome: CommandOutcome = .failed("the command did not run")
            var timedOut = false
            var commandEnded = false
            for await event in group {
                switch event {
                case .commandEnded(let ended):
                    outcome = ended
                    commandEnded = true
                    group.cancelAll()
                case .timeoutElapsed:
                    if !commandEnded { timedOut = true }
                    group.cancelAll()
                case .timerStopped:
                    break
                }
            }
            return (outcome, timedOut)
        }
    }

    private func execute(_ command: String, context: ToolContext, started: ProcessGroupRecord) async -> CommandOutcome {
        var options = PlatformOptions()
        // A new session: the command gets its own process group (so the whole group can be
        // signalled) and no controlling terminal (so it cannot read from or draw over Muster's).
        options.createSession = true
        options.teardownSequence = ShellCommandRun.teardownSequence(grace: grace)
        let progress = context.progress
        let sandbox = context.sandbox
        do {
            let launch = sandbox.launch(command)
            // A stop signals the group at once, from the cancelling thread: swift-subprocess's
            // own teardown reaches its SIGTERM only after several task hops on the cooperative
            // pool (its cleanup watcher, an uncancelled task, a task group per step), milliseconds
            // when the pool is busy. Its teardown and `terminate` below still follow, with the
            // grace period and SIGKILL for a group that ignores SIGTERM.
            let result = try await withTaskCancellationHandler {
                try await Subprocess.run(
                    .path(FilePath(launch.executable)),
                    arguments: Arguments(launch.arguments),
                    environment: ShellCommandRun.environment(marker: started.processes.marker, sandbox: sandbox),
                    workingDirectory: FilePath(context.workspace.path),
                    platformOptions: options,
                    input: .none,
                    output: .sequence,
                    error: .combinedWithOutput
                ) { execution in
                    if let group = ProcessGroup(id: execution.processIdentifier.value) {
                        started.record(group)
                        started.processes.spawned(group)
                    }
                    var splitter = LineSplitter(maxLineBytes: Self.maxLineBytes, carriageReturnRestartsLine: true)
                    var collector = ShellOutputCollector(headLimit: Self.headBytes, tailLimit: Self.tailBytes)
                    let take = { (line: LineSplitter.Line) in
                        let text = line.isTruncated ? line.text + " … [line cut: \(line.byteCount) bytes]" : line.text
                        progress.report(text)
                        collector.add(text)
                    }
                    for try await buffer in execution.standardOutput {
                        buffer.withUnsafeBytes { bytes in splitter.append(bytes, emit: take) }
                    }
                    if let last = splitter.finish() { take(last) }
                    return collector
                }
            } onCancel: {
                started.group?.signalStop(grace: grace)
            }
            return .exited(result.terminationStatus, result.closureResult)
        } catch {
            return .failed("\(error)")
        }
    }

    private static func output(_ outcome: CommandOutcome, timedOut: Bool, timeout: Double, sandbox: Sandbox) -> ToolOutput {
        switch outcome {
        case .failed(let reason):
            return output(.failed(reason), collector: ShellOutputCollector(headLimit: 0, tailLimit: 0), timedOut: timedOut, timeout: timeout, sandbox: sandbox)
        case .exited(.exited(let code), let collector):
            return output(.exited(code), collector: collector, timedOut: timedOut, timeout: timeout, sandbox: sandbox)
        case .exited(.signaled(let signal), let collector):
            return output(.signaled(signal), collector: collector, timedOut: timedOut, timeout: timeout, sandbox: sandbox)
        }
    }

    /// The call's result: the output kept and how the command ended (and, when it failed with a
    /// permission error under the sandbox, that the sandbox may have denied it and how to allow it).
    private static func output(
        _ outcome: ShellCommandRun.Outcome, collector: ShellOutputCollector, timedOut: Bool, timeout: Double, sandbox: Sandbox
    ) -> ToolOutput {
        let result = plainOutput(outcome, collector: collector, timedOut: timedOut, timeout: timeout)
        guard let note = sandbox.denialNote(output: result.content, failed: result.isError) else { return result }
        return ToolOutput(result.content + "\n" + note, isError: true)
    }

    private static func plainOutput(_ outcome: ShellCommandRun.Outcome, collector: ShellOutputCollector, timedOut: Bool, timeout: Double) -> ToolOutput {
        var text = collector.totalLines == 0 ? "(no output)" : collector.text
        switch outcome {
        case .failed(let reason):
            return .error("Running the command failed: \(reason)")
        case _ where timedOut:
            text += "\n[Timed out after \(number(timeout)) s: the command and every process it started were stopped.]"
            return ToolOutput(text, isError: true)
        case .exited(let code):
            text += "\n[exit status \(code)]"
            return ToolOutput(text, isError: code != 0)
        case .signaled(let signal):
            text += "\n[terminated by signal \(signal)\(ShellCommandRun.signalName(signal).map { " (\($0))" } ?? "")]"
            return ToolOutput(text, isError: true)
        }
    }

    /// A number as people write it: 5, not 5.0.
    private static func number(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? "\(Int(value))" : "\(value)"
    }
}

/// How the command's run ended.
private enum CommandOutcome: Sendable {
    case exited(TerminationStatus, ShellOutputCollector)
    /// Could not be started, or its output could not be read.
    case failed(String)
}

extension ToolContext {
    /// The session's sandbox for shell commands (none outside a session, e.g. a tool's unit test).
    fileprivate var sandbox: Sandbox {
        runtime?.backgroundShells.configuration.sandbox ?? .off
    }
}

/// What a child task of the main agent's call (a task's wait against the timeout) reports.
private enum MovableRaceEvent: Sendable {
    case waited(TaskRegistry.WaitOutcome)
    case timeoutElapsed
    case timerStopped
}

/// What a child task of the timeout race reports.
private enum RaceEvent: Sendable {
    case commandEnded(CommandOutcome)
    case timeoutElapsed
    case timerStopped
}

extension Clock {
    /// A sleep that ends `interval` after this moment: the deadline is fixed when this is called.
    fileprivate func deadlineSleep(after interval: Duration) -> @Sendable () async throws -> Void {
        let deadline = now.advanced(by: interval)
        return { try await self.sleep(until: deadline, tolerance: nil) }
    }
}
