import Foundation

/// The background shells of a session: starts a command as a registry task of kind `shell`
/// (listed, capped, stopped and delivered like an agent), and keeps each one's output file for
/// `/tasks show` and `read_task_output`.
public final class BackgroundShells: Sendable {
    public struct Configuration: Sendable {
        /// Where output files go (`task-<n>.log`): the session's state directory.
        public var outputDirectory: URL
        /// Time a stopped command's processes get between SIGTERM and SIGKILL (0: SIGKILL at once).
        public var grace: Duration
        /// Bytes per output file before it rotates (two files are kept).
        public var rotateAt: Int
        /// Lines of output that go with the result to the spawner.
        public var resultLines: Int
        /// How every `shell` command of the session is confined (background, foreground and `!`
        /// commands alike: the `shell` tool takes it from here too).
        public var sandbox: Sandbox

        public init(
            outputDirectory: URL = BackgroundShells.temporaryOutputDirectory(),
            grace: Duration = .seconds(2),
            rotateAt: Int = ShellOutputFile.defaultRotateAt,
            resultLines: Int = 20,
            sandbox: Sandbox = .off
        ) {
            self.outputDirectory = outputDirectory
            self.grace = grace
            self.rotateAt = rotateAt
            self.resultLines = max(1, resultLines)
            self.sandbox = sandbox
        }
    }

    /// A fresh directory name under the system's temporary directory (for sessions without a
    /// state directory, e.g. tests).
    public static func temporaryOutputDirectory() -> URL {
        FileManager.default.temporaryDirectory
            .appendingPathComponent("muster-shells-\(getpid())-\(UUID().uuidString.prefix(8))")
    }

    /// Characters of a command shown as the task's name.
    static let nameLength = 40

    public let configuration: Configuration
    // Guards the map of output files (bodies add to it, readers look up).
    private let outputs = Locked<[TaskID: ShellOutputFile]>([:])

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Starts `command` in `workspace` as a background `shell` task of `spawner`; returns its id
    /// at once. Refused (as a background agent is) when the shell cap is reached or Muster is
    /// shutting down.
    ///
    /// `mode: .foreground` runs it for a caller that waits for it (a `!` command), its output
    /// lines also reported to `mirror`; `TaskRegistry.moveToBackground` can then let it go on alone.
    /// `callID` marks its processes (a tool call's own id, for the main agent's `shell` call);
    /// `ended` hears how the command ended, before the task's result is recorded.
    public func start(
        command: String, spawner: Spawner, registry: TaskRegistry, workspace: URL,
        mode: TaskMode = .background, mirror: ToolProgress? = nil, callID: String? = nil
    ) async throws(TaskRegistry.StartRefusal) -> TaskID {
        try await start(command: command, spawner: spawner, registry: registry, workspace: workspace, mode: mode, mirror: mirror, callID: callID, ended: nil)
    }

    func start(
        command: String, spawner: Spawner, registry: TaskRegistry, workspace: URL,
        mode: TaskMode, mirror: ToolProgress?, callID: String?, ended: (@Sendable (ShellCommandRun.Outcome) -> Void)?
    ) async throws(TaskRegistry.StartRefusal) -> TaskID {
        let request = TaskRegistry.Request(
            name: Self.name(of: command), kind: .shell, description: command, spawner: spawner, mode: mode
        )
        let configuration = self.configuration
        return try await registry.start(request) { [self] context in
            let file: ShellOutputFile
            do {
                file = try ShellOutputFile(
                    directory: configuration.outputDirectory, name: "task-\(context.id.rawValue)", rotateAt: configuration.rotateAt
                )
            } catch {
                throw BackgroundShellFailure("\(error)")
            }
            outputs.withLock { $0[context.id] = file }
            await context.report(activity: "running: \(Self.name(of: command))")
            let outcome = await ShellCommandRun.run(
                command: command, workspace: workspace, output: file, grace: configuration.grace, sandbox: configuration.sandbox,
                callID: callID ?? "shell-task-\(context.id.rawValue)", taskID: context.id, mirror: mirror
            )
            ended?(outcome)
            var tail = await Self.tail(of: file, lines: configuration.resultLines)
            if let note = configuration.sandbox.denialNote(output: tail, failed: outcome != .exited(0)) { tail += "\n" + note }
            switch outcome {
            case .exited(0):
                return "exit status 0\n" + tail
            case .exited(let code):
                throw BackgroundShellFailure("exit status \(code)\n" + tail)
            case .signaled(let signal):
                throw BackgroundShellFailure("terminated by signal \(signal)\(ShellCommandRun.signalName(signal).map { " (\($0))" } ?? "")\n" + tail)
            case .failed(let reason):
                throw BackgroundShellFailure("the command could not run: \(reason)")
            }
        }
    }

    /// What a foreground caller of a shell task (a `!` command, the main agent's `shell` call)
    /// answers when Ctrl+B moved it to the background.
    static func movedAnswer(_ id: TaskID) -> String {
        "Moved to the background as task \(id); its result arrives when it finishes."
    }

    /// The output file of a background shell, once its body has begun.
    public func output(of id: TaskID) -> ShellOutputFile? {
        outputs.withLock { $0[id] }
    }

    /// The last `lines` lines of a task's output, read off the cooperative pool; nil when the
    /// task has no output file (not a shell, or not started yet).
    public func tail(of id: TaskID, lines: Int) async -> (lines: [String], note: String?)? {
        guard let file = output(of: id) else { return nil }
        return try? await BlockingWork.run { _ in file.tail(lines: lines) }
    }

    /// The tail as the text that goes with a result.
    private static func tail(of file: ShellOutputFile, lines: Int) async -> String {
        let tail: (lines: [String], note: String?) = (try? await BlockingWork.run { _ in file.tail(lines: lines) }) ?? ([], nil)
        var text = tail.lines.isEmpty ? "(no output)" : "last lines of output:\n" + tail.lines.joined(separator: "\n")
        if let note = tail.note { text += "\n[\(note)]" }
        return text
    }

    /// A command as a task name: its first line, cut to `nameLength` characters.
    static func name(of command: String) -> String {
        let firstLine = command.trimmingCharacters(in: .whitespacesAndNewlines)
            .split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? "shell"
        return firstLine.count > nameLength ? String(firstLine.prefix(nameLength - 1)) + "…" : firstLine
    }
}

/// How a background shell failed: its exit status (or signal) and its last lines.
struct BackgroundShellFailure: Error, CustomStringConvertible, LocalizedError {
    let description: String
    init(_ description: String) { self.description = description }
    var errorDescription: String? { description }
}
