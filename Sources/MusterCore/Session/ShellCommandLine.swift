/// The words of a `!COMMAND` line: its usage, and the message the main agent gets for it.
public enum ShellCommandLine {
    /// What a bare `!` answers.
    public static let usage = "Usage: !COMMAND runs COMMAND with /bin/sh in the workspace and shows its output (the main agent sees it too); !COMMAND & runs it in the background as a shell task."

    /// The person's command and what it printed, as their own message in the main agent's conversation.
    static func contextMessage(command: String, output: ToolOutput, interrupted: Bool) -> String {
        var text = "[I ran this shell command myself in the workspace; you did not run it.]\n$ \(command)\n\(output.content)"
        if interrupted { text += "\n[I interrupted it.]" }
        return text
    }
}
