/// The words of a `!COMMAND` line: its usage, and the message the main agent gets for it.
public enum ShellCommandLine {
    /// What a bare `!` answers.
    public static let usage = "Usage: !COMMAND runs COMMAND with /bin/sh in the workspace and shows its output (the main agent sees it too); !COMMAND & runs it in the background as a shell task."

    /// Runs the person's command with the session's `shell` tool (no timeout: Esc stops it), its
    /// start, output and end published as a call of the main agent's, so every front end shows it.
    static func run(_ command: String, callID: String, runtime: AgentRuntime) async -> ToolOutput {
        let events = runtime.events
        let shown: JSONValue = ["command": .string(command)]
        events.publish(.toolStart(agent: .main, callID: callID, tool: "shell", arguments: shown))
        let (progress, closeProgress) = ToolProgress.forwarding { line in
            events.publish(.toolProgress(agent: .main, callID: callID, line: line))
        }
        let context = ToolContext(callID: callID, agent: .main, workspace: runtime.workspace, progress: progress, runtime: runtime)
        let tool = runtime.tools["shell"] ?? ShellTool()
        let output: ToolOutput
        do {
            output = try await tool.run(["command": .string(command), "timeout_seconds": .number(ShellTool.maxTimeout)], context: context)
        } catch is CancellationError {
            output = .error("Interrupted: the command and everything it started were stopped.")
        } catch {
            output = .error(TaskRegistry.describe(error))
        }
        closeProgress()
        events.publish(.toolEnd(agent: .main, callID: callID, tool: "shell", output: output))
        return output
    }

    /// The person's command and what it printed, as their own message in the main agent's conversation.
    static func contextMessage(command: String, output: ToolOutput, interrupted: Bool) -> String {
        var text = "[I ran this shell command myself in the workspace; you did not run it.]\n$ \(command)\n\(output.content)"
        if interrupted { text += "\n[I interrupted it.]" }
        return text
    }
}
