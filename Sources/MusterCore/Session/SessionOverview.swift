/// The session's task state at one moment, for a front end that starts after tasks may have
/// begun (the pill) and for the headless runner's check that nothing is left to happen.
public struct SessionOverview: Sendable, Equatable {
    /// The background-agent cap in force.
    public let maxBackgroundAgents: Int
    /// Every task the registry lists.
    public let tasks: [TaskSnapshot]
    /// Tasks that have not ended (foreground ones included).
    public let activeTasks: Int
    /// Finished background results waiting for the main agent.
    public let pendingResults: Int
    /// A turn of the main agent runs or waits to start. Read after the counts above: a turn
    /// that took the last results (so `pendingResults` is 0) is still running here.
    public let turnPending: Bool

    public init(maxBackgroundAgents: Int, tasks: [TaskSnapshot], activeTasks: Int, pendingResults: Int, turnPending: Bool = false) {
        self.maxBackgroundAgents = maxBackgroundAgents
        self.tasks = tasks
        self.activeTasks = activeTasks
        self.pendingResults = pendingResults
        self.turnPending = turnPending
    }
}
