/// A tool call waiting for the person's approval. Numbered per session, in the order asked.
public struct ApprovalRequest: Sendable, Equatable, Identifiable {
    public let id: Int
    /// Who asks: the main agent (answered inline) or a sub-agent (its task parks).
    public let agent: AgentRef
    public let callID: String
    public let tool: String
    public let subject: ApprovalSubject

    public init(id: Int, agent: AgentRef, callID: String, tool: String, subject: ApprovalSubject) {
        self.id = id
        self.agent = agent
        self.callID = callID
        self.tool = tool
        self.subject = subject
    }
}
