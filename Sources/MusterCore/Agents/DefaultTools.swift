extension BuiltInTools {
    /// Every built-in tool: the workspace and shell tools plus the agent and task tools.
    /// The shell always times out on real time, whatever clock drives the scripts.
    public static func all(shellGrace: Duration = .seconds(2)) -> [any Tool] {
        workspaceTools(shellGrace: shellGrace, clock: ContinuousClock())
            + [AgentTool(), ListTasksTool(), WaitTaskTool(), CancelTaskTool(), SendMessageTool(), ReadTaskOutputTool()]
    }
}
