import Foundation

/// Everything one tool call may use: its own ids, the workspace, its own progress stream,
/// and the services behind agent and task tools. Never stored on a tool.
public struct ToolContext: Sendable {
    public let callID: String
    public let agent: AgentRef
    /// The workspace root; file tools refuse paths outside it.
    public let workspace: URL
    public let progress: ToolProgress
    /// Runtime services (sub-agents, the registry); nil in isolated tool tests.
    public let runtime: AgentRuntime?
    /// For a tool that starts tasks, run at once with others that do: its place in the order
    /// the model listed them, to wait for before registering (nil: no one to wait for).
    public let launchTicket: LaunchTicket?

    public init(
        callID: String, agent: AgentRef, workspace: URL, progress: ToolProgress, runtime: AgentRuntime?,
        launchTicket: LaunchTicket? = nil
    ) {
        self.callID = callID
        self.agent = agent
        self.workspace = workspace
        self.progress = progress
        self.runtime = runtime
        self.launchTicket = launchTicket
    }

    /// The task id of the calling agent, if it is a sub-agent.
    public var taskID: TaskID? { agent.taskID }
}
