import Foundation
import Subprocess

/// Runs short outside commands (tmux, pgrep, sh) for the end-to-end tests and the benchmarks.
///
/// swift-subprocess does the spawning, not Foundation's Process: its waitUntilExit never returned
/// here for a tmux client that had already exited. The child gets an empty signal mask and
/// default actions for the standard signals 1 to 31 (a Swift thread may block SIGTERM, and a tmux server started
/// with it blocked ignores kill-server), stdin from /dev/null, and no descriptor but stdin,
/// stdout and stderr: swift-subprocess marks every other one close-on-exec in the child, so a
/// tmux server spawned at the same time by another caller cannot keep an output pipe open.
///
/// `run` is `async` and must stay so: swift-subprocess starts a task of its own to reap the
/// child, which needs a thread of the cooperative pool; a synchronous wrapper blocking those
/// threads (two on a two-core machine) would wait for it forever.
public enum ShortCommand {
    /// The exit status (128 + signal when killed) and everything it wrote to stdout and stderr.
    public struct Outcome: Sendable, Equatable {
        public let status: Int32
        public let output: String
    }

    /// The most output kept; a short command writes far less.
    static let outputLimit = 64 * 1024 * 1024

    /// Runs `command` (a name looked up on PATH, or a path) to its end; `captureOutput: false` sends its output to
    /// /dev/null, for commands that may leave a daemon behind (a tmux server keeps what it inherits).
    @discardableResult
    public static func run(_ command: [String], captureOutput: Bool = true) async -> Outcome {
        guard let program = command.first else { return Outcome(status: -1, output: "no command") }
        let arguments = Arguments(Array(command.dropFirst()))
        // A name is looked up on PATH; swift-subprocess refuses a path there, so a path is taken as is.
        let executable: Executable = program.contains("/") ? .path(.init(program)) : .name(program)
        do {
            if captureOutput {
                let result = try await Subprocess.run(
                    executable, arguments: arguments, input: .none,
                    output: .string(limit: outputLimit), error: .combinedWithOutput
                )
                return Outcome(status: status(result.terminationStatus), output: result.standardOutput)
            }
            let result = try await Subprocess.run(
                executable, arguments: arguments, input: .none, output: .discarded, error: .discarded
            )
            return Outcome(status: status(result.terminationStatus), output: "")
        } catch {
            return Outcome(status: -1, output: "cannot run \(program): \(error)")
        }
    }

    /// The shell's convention: the exit code, or 128 + the signal that ended the command.
    private static func status(_ termination: TerminationStatus) -> Int32 {
        switch termination {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }
}
