/// Messages an agent's conversation gained: recorded in the session log as `conversation`, so
/// that each agent's conversation can be rebuilt from the log up to its last record
/// (`ConversationRestorer`). `from` is the index of the first message in the whole conversation:
/// a record replaces whatever a reader holds from there on.
public struct ConversationRecord: Sendable, Equatable {
    public let agent: AgentRef
    public let from: Int
    public let messages: [ChatMessage]

    public init(agent: AgentRef, from: Int, messages: [ChatMessage]) {
        self.agent = agent
        self.from = from
        self.messages = messages
    }
}

extension ChatMessage: Codable {
    private enum CodingKeys: String, CodingKey {
        case role, text, toolCalls = "tool_calls", callID = "call_id", name, content
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .role) {
        case "system": self = .system(try container.decode(String.self, forKey: .text))
        case "user": self = .user(try container.decode(String.self, forKey: .text))
        case "assistant":
            self = .assistant(
                text: try container.decode(String.self, forKey: .text),
                toolCalls: try container.decodeIfPresent([ToolCall].self, forKey: .toolCalls) ?? []
            )
        case "tool":
            self = .tool(
                callID: try container.decode(String.self, forKey: .callID),
                name: try container.decode(String.self, forKey: .name),
                content: try container.decode(String.self, forKey: .content)
            )
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .role, in: container, debugDescription: "expected system, user, assistant or tool, found \"\(other)\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .system(let text):
            try container.encode("system", forKey: .role)
            try container.encode(text, forKey: .text)
        case .user(let text):
            try container.encode("user", forKey: .role)
            try container.encode(text, forKey: .text)
        case .assistant(let text, let calls):
            try container.encode("assistant", forKey: .role)
            try container.encode(text, forKey: .text)
            if !calls.isEmpty { try container.encode(calls, forKey: .toolCalls) }
        case .tool(let callID, let name, let content):
            try container.encode("tool", forKey: .role)
            try container.encode(callID, forKey: .callID)
            try container.encode(name, forKey: .name)
            try container.encode(content, forKey: .content)
        }
    }
}

/// Rebuilds every agent's conversation from `conversation` records, in log order. A record
/// whose `from` lies past what is known (a record before it is missing) is skipped and counted;
/// nothing here traps, whatever the log holds.
public struct ConversationRestorer: Sendable {
    /// Conversations by agent: `nil` is the main agent.
    public private(set) var conversations: [TaskID?: [ChatMessage]] = [:]
    /// Records that could not be applied (a gap before them).
    public private(set) var skipped = 0

    public init() {}

    public mutating func apply(_ event: SessionEvent) {
        guard case .conversation(let record) = event else { return }
        let key = record.agent.taskID
        guard record.from >= 0, record.from <= conversations[key]?.count ?? 0 else {
            skipped += 1
            return
        }
        // In place: a copy taken out of the dictionary and put back would copy every message
        // of the conversation on each record.
        conversations[key, default: []].removeSubrange(record.from...)
        conversations[key, default: []].append(contentsOf: record.messages)
    }
}
