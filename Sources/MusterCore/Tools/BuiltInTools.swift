/// The tools every Muster agent gets, for the session to assemble with the agent and task tools.
public enum BuiltInTools {
    /// The workspace and shell tools: list_files, read_file, grep, shell, write_file and edit_file.
    /// `shellGrace` is the time a shell command's processes get between SIGTERM and SIGKILL;
    /// `clock` times shell timeouts.
    public static func workspaceTools(
        shellGrace: Duration = .seconds(2),
        clock: any Clock<Duration> = ContinuousClock()
    ) -> [any Tool] {
        [ListFilesTool(), ReadFileTool(), GrepTool(), ShellTool(grace: shellGrace, clock: clock), WriteFileTool(), EditFileTool()]
    }
}
