import Foundation

/// Who is calling a tool: the agent's name and, for sub-agents, its task id.
public struct AgentRef: Sendable, Equatable, Hashable, CustomStringConvertible {
    public let name: String
    /// Nil for the top-level (main) agent.
    public let taskID: TaskID?

    public init(name: String, taskID: TaskID?) {
        self.name = name
        self.taskID = taskID
    }

    /// The main agent of a session.
    public static let main = AgentRef(name: "main", taskID: nil)

    /// The spawner value for tasks this agent launches.
    public var asSpawner: Spawner { taskID.map(Spawner.task) ?? .topLevel }

    public var description: String { taskID.map { "\(name) \($0)" } ?? name }
}

/// One tool call's progress stream: created for that call alone, finished exactly once.
public struct ToolProgress: Sendable {
    private let continuation: AsyncStream<String>.Continuation

    init(_ continuation: AsyncStream<String>.Continuation) {
        self.continuation = continuation
    }

    /// Reports one progress line for this call.
    public func report(_ line: String) {
        continuation.yield(line)
    }

    /// A sink that drops everything (for calls nobody watches, e.g. in unit tests of a tool).
    public static func discarding() -> ToolProgress {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        continuation.finish()
        _ = stream
        return ToolProgress(continuation)
    }

    /// A fresh stream and its reporter, for one call.
    public static func makeStream() -> (stream: AsyncStream<String>, progress: ToolProgress, finish: @Sendable () -> Void) {
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .unbounded)
        return (stream, ToolProgress(continuation), { continuation.finish() })
    }
}

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

    public init(callID: String, agent: AgentRef, workspace: URL, progress: ToolProgress, runtime: AgentRuntime?) {
        self.callID = callID
        self.agent = agent
        self.workspace = workspace
        self.progress = progress
        self.runtime = runtime
    }

    /// The task id of the calling agent, if it is a sub-agent.
    public var taskID: TaskID? { agent.taskID }
}
