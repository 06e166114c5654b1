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
