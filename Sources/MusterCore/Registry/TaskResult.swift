import Foundation

/// A finished task's outcome, delivered once to the agent that launched it.
public struct TaskResult: Sendable, Equatable {
    public let id: TaskID
    public let name: String
    public let description: String
    /// Always terminal.
    public let status: TaskStatus
    public let duration: Duration
    /// What the task did, most recent last.
    public let trail: [String]

    public init(id: TaskID, name: String, description: String, status: TaskStatus, duration: Duration, trail: [String]) {
        self.id = id
        self.name = name
        self.description = description
        self.status = status
        self.duration = duration
        self.trail = trail
    }
}
