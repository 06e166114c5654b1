/// A call refused without asking (headless `-p` in mode `ask` cannot ask): listed in the run's
/// result as `approvals_refused`.
public struct ApprovalRefusal: Sendable, Equatable, Codable {
    /// The calling agent's task id; nil for the main agent.
    public let taskID: TaskID?
    public let callID: String
    public let tool: String
    /// `shell: make test`, `edit: README.md (+3 −1)`.
    public let subject: String

    public init(taskID: TaskID?, callID: String, tool: String, subject: String) {
        self.taskID = taskID
        self.callID = callID
        self.tool = tool
        self.subject = subject
    }

    enum CodingKeys: String, CodingKey {
        case taskID = "task_id", callID = "call_id", tool, subject
    }
}
