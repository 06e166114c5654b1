/// The words of a `!COMMAND` line: its usage, and the message the main agent gets for it.
public enum ShellCommandLine {
    /// What a bare `!` answers.
    public static let usage = "Usage: !COMMAND runs COMMAND with /bin/sh in the workspace and shows its output (the main agent sees it too); !COMMAND & runs it in the background as a shell task."

    /// Lines of a finished `!` command's output that go into the conversation.
    static let contextLines = 200

    /// Runs the person's command as a foreground `shell` task of the top level, its start, lines
    /// and end published as a call of the main agent's so every front end shows them. Returns
    /// when it ended, was interrupted (the caller's task cancelled: it is stopped, and this
    /// returns once its processes are gone), or was moved to the background (`wasMoved`).
    static func runInForeground(
        _ command: String, callID: String, runtime: AgentRuntime,
        started: @Sendable (TaskID) async -> Void, wasMoved: @Sendable () async -> Bool
    ) async -> (output: ToolOutput, interrupted: Bool) {
        let events = runtime.events
        events.publish(.toolStart(agent: .main, callID: callID, tool: "shell", arguments: ["command": .string(command)]))
        let (progress, closeProgress) = ToolProgress.forwarding { line in
            events.publish(.toolProgress(agent: .main, callID: callID, line: line))
        }
        let registry = runtime.registry
        var output: ToolOutput
        var interrupted = false
        do {
            let id = try await runtime.backgroundShells.start(
                command: command, spawner: .topLevel, registry: registry, workspace: runtime.workspace,
                mode: .foreground, mirror: progress
            )
            await started(id)
            switch await registry.wait(for: id, requestedBy: .topLevel) {
            case .finished(let result):
                output = await Self.output(of: result, shells: runtime.backgroundShells)
            case .movedToBackground:
                output = ToolOutput(BackgroundShells.movedAnswer(id))
            case .cancelled where await wasMoved():
                // The wait was cancelled because the command was moved to the background: not interrupted.
                output = ToolOutput(BackgroundShells.movedAnswer(id))
            case .cancelled:
                interrupted = true
                await registry.cancel(id, source: .user)
                // Its end, awaited in a task that is not cancelled: the turn ends when its processes are gone.
                let ended = await Task { await registry.wait(for: id, requestedBy: .topLevel) }.value
                if case .finished(let result) = ended {
                    output = await Self.output(of: result, shells: runtime.backgroundShells)
                } else {
                    output = .error("Interrupted.")
                }
            default:
                output = .error("The command did not finish.")
            }
        } catch {
            output = .error(error.description)
        }
        closeProgress()
        events.publish(.toolEnd(agent: .main, callID: callID, tool: "shell", output: output))
        return (output, interrupted)
    }

    /// A finished `!` command: its last lines and how it ended.
    private static func output(of result: TaskResult, shells: BackgroundShells) async -> ToolOutput {
        let tail = await shells.tail(of: result.id, lines: contextLines)
        var text = (tail?.lines ?? []).joined(separator: "\n")
        if text.isEmpty { text = "(no output)" }
        if let note = tail?.note { text = "[\(note)]\n" + text }
        switch result.status {
        case .completed:
            return ToolOutput(text + "\n[exit status 0]")
        case .failed(let error):
            text += "\n[\(error.split(separator: "\n").first.map(String.init) ?? error)]"
            if let note = shells.configuration.sandbox.denialNote(output: text, failed: true) { text += "\n" + note }
            return ToolOutput(text, isError: true)
        case .cancelled:
            return ToolOutput(text + "\n[Interrupted: the command and everything it started were stopped.]", isError: true)
        case .pending, .queued, .running, .paused, .budgetExhausted:
            return .error("The command did not finish.")
        }
    }

    /// The person's command and what it printed, as their own message in the main agent's conversation.
    static func contextMessage(command: String, output: ToolOutput, interrupted: Bool) -> String {
        var text = "[I ran this shell command myself in the workspace; you did not run it.]\n$ \(command)\n\(output.content)"
        if interrupted { text += "\n[I interrupted it.]" }
        return text
    }
}
