import CMusterSystem
import Foundation
import Subprocess

#if canImport(System)
import System
private typealias SystemDescriptor = System.FileDescriptor
#else
import SystemPackage
private typealias SystemDescriptor = SystemPackage.FileDescriptor
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs one command whose output goes to a file (a background shell): in a session and process
/// group of its own, marked and recorded like a `shell` tool call, so that however it ends
/// (it exits, or its task is stopped) nothing it started survives it.
///
/// Returns only when every process of the command is gone and its output is in the file: the
/// task that awaits it becomes terminal at the true end of its work.
enum ShellCommandRun {
    enum Outcome: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)
        /// Could not be started.
        case failed(String)
    }

    static func run(
        command: String, workspace: URL, output file: ShellOutputFile, grace: Duration, sandbox: Sandbox = .off,
        callID: String, taskID: TaskID?, mirror: ToolProgress? = nil
    ) async -> Outcome {
        var ends: [Int32] = [-1, -1]
        guard muster_pipe_cloexec(&ends) == 0 else {
            file.close()
            return .failed("cannot make a pipe: \(String(cString: strerror(errno)))")
        }
        let pump = OutputPump(readEnd: ends[0], file: file, mirror: mirror)
        let writeEnd = ends[1]
        let processes = ToolProcessRegistry.shared.beginCall(callID: callID, taskID: taskID)
        let started = ProcessGroupRecord(processes: processes)

        var options = PlatformOptions()
        options.createSession = true
        options.teardownSequence = teardownSequence(grace: grace)
        let outcome: Outcome
        do {
            // The body returns at once: `run` then waits for the shell to exit, and a
            // cancellation of this task (a stop) tears the whole group down.
            let launch = sandbox.launch(command)
            // A stop signals the group at once from the cancelling thread, ahead of
            // swift-subprocess's teardown and its task hops (see ShellTool.execute).
            let result = try await withTaskCancellationHandler {
                try await Subprocess.run(
                    .path(FilePath(launch.executable)),
                    arguments: Arguments(launch.arguments),
                    environment: environment(marker: processes.marker, sandbox: sandbox),
                    workingDirectory: FilePath(workspace.path),
                    platformOptions: options,
                    input: .none,
                    // Closed by swift-subprocess once the command runs, and so is the copy it makes for
                    // standard error (which inherits this flag: with `false` that copy leaked, held the
                    // pipe open in Muster, and the pump never saw its end).
                    output: .fileDescriptor(SystemDescriptor(rawValue: writeEnd), closeAfterSpawningProcess: true),
                    error: .combinedWithOutput
                ) { execution in
                    if let group = ProcessGroup(id: execution.processIdentifier.value) {
                        started.record(group)
                        processes.spawned(group)
                    }
                }
            } onCancel: {
                started.group?.signalStop(grace: grace)
            }
            switch result.terminationStatus {
            case .exited(let code): outcome = .exited(code)
            case .signaled(let signal): outcome = .signaled(signal)
            }
        } catch {
            outcome = .failed("\(error)")
        }
        // Only the command's processes hold the pipe now: once they are gone the pump sees its end.
        // The cleanup must run to its end even when this task was cancelled (its waits are the
        // grace period): an uncancelled task of its own, awaited here (see ShellTool.run).
        let group = started.group
        let stopped = Task.isCancelled
        await Task {
            // A stop signalled the whole group already: its end of file says at once when its
            // last process is gone, where the group check below would poll.
            if stopped { await pump.waitForEnd(upTo: .milliseconds(250)) }
            let (neededKill, table) = await group?.terminateKeepingTable(grace: grace, clock: ContinuousClock()) ?? (false, nil)
            await processes.finish(grace: grace, groupNeededKill: neededKill, table: table)
        }.value
        await pump.finish()
        file.close()
        return outcome
    }

    /// A command's environment: Muster's, with the call's marker and the sandbox's variables.
    static func environment(marker: String, sandbox: Sandbox) -> Environment {
        var updates: [Environment.Key: String?] = [ShellTool.markerKey: marker]
        for (name, value) in sandbox.environment {
            if let key = Environment.Key(rawValue: name) { updates[key] = value }
        }
        return .inherit.updating(updates)
    }

    /// SIGTERM to the group, SIGKILL after `grace`; SIGKILL at once when `grace` is zero.
    static func teardownSequence(grace: Duration) -> [TeardownStep] {
        grace <= .zero
            ? [.send(signal: .kill, toProcessGroup: true, allowedDurationToNextStep: .zero)]
            : [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: grace)]
    }

    static func signalName(_ signal: Int32) -> String? {
        switch signal {
        case SIGHUP: "SIGHUP"
        case SIGINT: "SIGINT"
        case SIGQUIT: "SIGQUIT"
        case SIGABRT: "SIGABRT"
        case SIGKILL: "SIGKILL"
        case SIGSEGV: "SIGSEGV"
        case SIGPIPE: "SIGPIPE"
        case SIGTERM: "SIGTERM"
        default: nil
        }
    }
}
