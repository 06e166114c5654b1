import Foundation

/// A session event as one record of the session log and of `--output-format stream-json`: a
/// `type` field says which event, the other fields are its payload (Docs/session-log.md).
/// `SessionRecord` adds the envelope (`seq`, `time`, `session_id`).
extension SessionEvent: Codable {
    enum CodingKeys: String, CodingKey {
        case type
        case text, command, turn, trigger, outcome, error
        case agent, taskID = "task_id", callID = "call_id"
        case tool, arguments, line, lines, output, isError = "is_error"
        case task, spawnerID = "spawner_id", count
        case inputTokens = "input_tokens", outputTokens = "output_tokens"
        case message, reply
        case messageID = "message_id", name, from, fromTaskID = "from_task_id", ahead, status
        case messages, start
        case approvalID = "approval_id", subject, answer, reason
    }

    /// The record's `type` field.
    public var type: String {
        switch self {
        case .sessionStart: "session_start"
        case .userInput: "user_input"
        case .slashCommand: "slash_command"
        case .turnStart: "turn_start"
        case .turnEnd: "turn_end"
        case .textDelta: "text_delta"
        case .assistantMessage: "assistant_message"
        case .toolStart: "tool_start"
        case .toolProgress: "tool_progress"
        case .toolEnd: "tool_end"
        case .task(.started): "task_started"
        case .task(.updated): "task_updated"
        case .task(.finished): "task_finished"
        case .task(.resultsWaiting): "results_waiting"
        case .task(.message(let event)):
            switch event.stage {
            case .queued: "message_queued"
            case .read: "message_read"
            case .dropped: "message_dropped"
            }
        case .modelUsage: "model_usage"
        case .warning: "warning"
        case .reply: "command_reply"
        case .toolProcess: "tool_process"
        case .conversation: "conversation"
        case .result: "result"
        case .sessionEnd: "session_end"
        case .approvalRequested: "approval_requested"
        case .approvalAnswered: "approval_answered"
        }
    }

    /// Text deltas go to live streams only; the log keeps the complete assistant messages.
    public var isTextDelta: Bool {
        if case .textDelta = self { true } else { false }
    }

    /// How many progress lines the record stands for (more than one in a joined `tool_progress`).
    var standsFor: Int {
        if case .toolProgress(_, _, _, let lines) = self { lines } else { 1 }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "session_start":
            self = .sessionStart(try SessionStart(from: decoder))
        case "user_input":
            self = .userInput(text: try container.decode(String.self, forKey: .text))
        case "slash_command":
            self = .slashCommand(command: try container.decode(String.self, forKey: .command))
        case "turn_start":
            let trigger: TurnTrigger
            switch try container.decode(String.self, forKey: .trigger) {
            // The input's text is its `user_input` record, just before.
            case "input": trigger = .input("")
            case "background_results": trigger = .backgroundResults
            case let other:
                throw DecodingError.dataCorruptedError(
                    forKey: .trigger, in: container, debugDescription: "expected input or background_results, found \"\(other)\""
                )
            }
            self = .turnStart(turn: try container.decode(Int.self, forKey: .turn), trigger: trigger)
        case "turn_end":
            let turn = try container.decode(Int.self, forKey: .turn)
            let outcome: TurnOutcome
            switch try container.decode(String.self, forKey: .outcome) {
            case "completed": outcome = .completed(text: try container.decode(String.self, forKey: .text))
            case "cancelled": outcome = .cancelled
            case "failed": outcome = .failed(error: try container.decode(String.self, forKey: .error))
            case let other:
                throw DecodingError.dataCorruptedError(
                    forKey: .outcome, in: container,
                    debugDescription: "expected completed, cancelled or failed, found \"\(other)\""
                )
            }
            self = .turnEnd(turn: turn, outcome: outcome)
        case "text_delta":
            self = .textDelta(agent: try Self.agent(in: container), text: try container.decode(String.self, forKey: .text))
        case "assistant_message":
            self = .assistantMessage(agent: try Self.agent(in: container), text: try container.decode(String.self, forKey: .text))
        case "tool_start":
            self = .toolStart(
                agent: try Self.agent(in: container),
                callID: try container.decode(String.self, forKey: .callID),
                tool: try container.decode(String.self, forKey: .tool),
                arguments: try container.decode(JSONValue.self, forKey: .arguments)
            )
        case "tool_progress":
            self = .toolProgress(
                agent: try Self.agent(in: container),
                callID: try container.decode(String.self, forKey: .callID),
                line: try container.decode(String.self, forKey: .line),
                lines: try container.decodeIfPresent(Int.self, forKey: .lines) ?? 1
            )
        case "tool_end":
            self = .toolEnd(
                agent: try Self.agent(in: container),
                callID: try container.decode(String.self, forKey: .callID),
                tool: try container.decode(String.self, forKey: .tool),
                output: ToolOutput(
                    try container.decode(String.self, forKey: .output),
                    isError: try container.decode(Bool.self, forKey: .isError)
                )
            )
        case "task_started":
            self = .task(.started(try container.decode(TaskSnapshot.self, forKey: .task)))
        case "task_updated":
            self = .task(.updated(try container.decode(TaskSnapshot.self, forKey: .task)))
        case "task_finished":
            self = .task(.finished(try container.decode(TaskSnapshot.self, forKey: .task)))
        case "results_waiting":
            let spawner = try container.decodeIfPresent(TaskID.self, forKey: .spawnerID).map(Spawner.task) ?? .topLevel
            self = .task(.resultsWaiting(spawner, count: try container.decode(Int.self, forKey: .count)))
        case "message_queued", "message_read", "message_dropped":
            let taskID = try container.decode(TaskID.self, forKey: .taskID)
            let sender: MessageSender
            switch try container.decode(String.self, forKey: .from) {
            case "person": sender = .person
            case "agent": sender = .agent(try container.decodeIfPresent(TaskID.self, forKey: .fromTaskID).map(Spawner.task) ?? .topLevel)
            case let other:
                throw DecodingError.dataCorruptedError(forKey: .from, in: container, debugDescription: "expected person or agent, found \"\(other)\"")
            }
            let message = AgentMessage(
                number: try container.decode(Int.self, forKey: .messageID), taskID: taskID,
                taskName: try container.decode(String.self, forKey: .name), sender: sender,
                text: try container.decode(String.self, forKey: .text)
            )
            let stage: AgentMessageEvent.Stage = switch type {
            case "message_queued": .queued(ahead: try container.decode(Int.self, forKey: .ahead))
            case "message_read": .read
            default: .dropped(status: try container.decode(String.self, forKey: .status))
            }
            self = .task(.message(AgentMessageEvent(message, stage)))
        case "model_usage":
            self = .modelUsage(
                agent: try Self.agent(in: container),
                usage: Usage(
                    inputTokens: try container.decode(Int.self, forKey: .inputTokens),
                    outputTokens: try container.decode(Int.self, forKey: .outputTokens)
                )
            )
        case "warning":
            self = .warning(try container.decode(String.self, forKey: .message))
        case "command_reply":
            self = .reply(try container.decode(CommandReply.self, forKey: .reply))
        case "tool_process":
            self = .toolProcess(try ToolProcessRecord(from: decoder))
        case "approval_requested":
            let agent = try Self.agent(in: container)
            self = .approvalRequested(ApprovalRequest(
                id: try container.decode(Int.self, forKey: .approvalID), agent: agent,
                callID: try container.decode(String.self, forKey: .callID), tool: try container.decode(String.self, forKey: .tool),
                subject: try container.decode(ApprovalSubject.self, forKey: .subject)
            ))
        case "approval_answered":
            let answer: ApprovalAnswer
            switch try container.decode(String.self, forKey: .answer) {
            case "once": answer = .once
            case "always": answer = .always
            case "deny": answer = .deny(reason: try container.decodeIfPresent(String.self, forKey: .reason))
            case let other:
                throw DecodingError.dataCorruptedError(forKey: .answer, in: container, debugDescription: "expected once, always or deny, found \"\(other)\"")
            }
            self = .approvalAnswered(id: try container.decode(Int.self, forKey: .approvalID), agent: try Self.agent(in: container), answer: answer)
        case "conversation":
            self = .conversation(ConversationRecord(
                agent: try Self.agent(in: container),
                from: try container.decode(Int.self, forKey: .start),
                messages: try container.decode([ChatMessage].self, forKey: .messages)
            ))
        case "result":
            self = .result(try RunResult(from: decoder))
        case "session_end":
            self = .sessionEnd(try SessionEnd(from: decoder))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown record type \"\(type)\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        try encodePayload(to: encoder)
    }

    /// Every field but `type`.
    func encodePayload(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .sessionStart(let start):
            try start.encode(to: encoder)
        case .userInput(let text):
            try container.encode(text, forKey: .text)
        case .slashCommand(let command):
            try container.encode(command, forKey: .command)
        case .turnStart(let turn, let trigger):
            try container.encode(turn, forKey: .turn)
            switch trigger {
            case .input: try container.encode("input", forKey: .trigger)
            case .backgroundResults: try container.encode("background_results", forKey: .trigger)
            }
        case .turnEnd(let turn, let outcome):
            try container.encode(turn, forKey: .turn)
            switch outcome {
            case .completed(let text):
                try container.encode("completed", forKey: .outcome)
                try container.encode(text, forKey: .text)
            case .cancelled:
                try container.encode("cancelled", forKey: .outcome)
            case .failed(let error):
                try container.encode("failed", forKey: .outcome)
                try container.encode(error, forKey: .error)
            }
        case .textDelta(let agent, let text), .assistantMessage(let agent, let text):
            try Self.encode(agent, in: &container)
            try container.encode(text, forKey: .text)
        case .toolStart(let agent, let callID, let tool, let arguments):
            try Self.encode(agent, in: &container)
            try container.encode(callID, forKey: .callID)
            try container.encode(tool, forKey: .tool)
            try container.encode(arguments, forKey: .arguments)
        case .toolProgress(let agent, let callID, let line, let lines):
            try Self.encode(agent, in: &container)
            try container.encode(callID, forKey: .callID)
            try container.encode(line, forKey: .line)
            if lines != 1 { try container.encode(lines, forKey: .lines) }
        case .toolEnd(let agent, let callID, let tool, let output):
            try Self.encode(agent, in: &container)
            try container.encode(callID, forKey: .callID)
            try container.encode(tool, forKey: .tool)
            try container.encode(output.content, forKey: .output)
            try container.encode(output.isError, forKey: .isError)
        case .task(.started(let task)), .task(.updated(let task)), .task(.finished(let task)):
            try container.encode(task, forKey: .task)
        case .task(.resultsWaiting(let spawner, let count)):
            try container.encode(spawner.taskID, forKey: .spawnerID)
            try container.encode(count, forKey: .count)
        case .task(.message(let event)):
            let message = event.message
            try container.encode(message.number, forKey: .messageID)
            try container.encode(message.taskID, forKey: .taskID)
            try container.encode(message.taskName, forKey: .name)
            switch message.sender {
            case .person:
                try container.encode("person", forKey: .from)
            case .agent(let spawner):
                try container.encode("agent", forKey: .from)
                try container.encode(spawner.taskID, forKey: .fromTaskID)
            }
            try container.encode(message.text, forKey: .text)
            switch event.stage {
            case .queued(let ahead): try container.encode(ahead, forKey: .ahead)
            case .read: break
            case .dropped(let status): try container.encode(status, forKey: .status)
            }
        case .modelUsage(let agent, let usage):
            try Self.encode(agent, in: &container)
            try container.encode(usage.inputTokens, forKey: .inputTokens)
            try container.encode(usage.outputTokens, forKey: .outputTokens)
        case .warning(let message):
            try container.encode(message, forKey: .message)
        case .reply(let reply):
            try container.encode(reply, forKey: .reply)
        case .toolProcess(let record):
            try record.encode(to: encoder)
        case .conversation(let record):
            try Self.encode(record.agent, in: &container)
            try container.encode(record.from, forKey: .start)
            try container.encode(record.messages, forKey: .messages)
        case .result(let result):
            try result.encode(to: encoder)
        case .sessionEnd(let end):
            try end.encode(to: encoder)
        case .approvalRequested(let request):
            try Self.encode(request.agent, in: &container)
            try container.encode(request.id, forKey: .approvalID)
            try container.encode(request.callID, forKey: .callID)
            try container.encode(request.tool, forKey: .tool)
            try container.encode(request.subject, forKey: .subject)
        case .approvalAnswered(let id, let agent, let answer):
            try Self.encode(agent, in: &container)
            try container.encode(id, forKey: .approvalID)
            switch answer {
            case .once: try container.encode("once", forKey: .answer)
            case .always: try container.encode("always", forKey: .answer)
            case .deny(let reason):
                try container.encode("deny", forKey: .answer)
                try container.encodeIfPresent(reason, forKey: .reason)
            }
        }
    }

    /// The session id written in the event's own fields (`session_start`, `session_end`, `tool_process`).
    var ownSessionID: String? {
        switch self {
        case .sessionStart(let start): start.sessionID
        case .sessionEnd(let end): end.sessionID
        case .toolProcess(let record): record.sessionID
        default: nil
        }
    }

    /// The event alone as one JSON object (no `seq`, `time` or `session_id`): `type` first, the
    /// rest sorted. The `--output-format json` output is the `result` event this way.
    public var jsonObject: String {
        let head = "{\"type\":\"\(type)\""
        let payload = payloadJSON
        return payload == "{}" ? head + "}" : head + "," + payload.dropFirst()
    }

    /// The payload as a JSON object with sorted keys.
    var payloadJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every payload is made of strings, numbers, booleans and JSON values: encoding cannot fail.
        guard let data = try? encoder.encode(Payload(event: self)), let text = String(data: data, encoding: .utf8) else {
            return "{}"
        }
        return text
    }

    private struct Payload: Encodable {
        let event: SessionEvent
        func encode(to encoder: any Encoder) throws { try event.encodePayload(to: encoder) }
    }

    // The agent's name and task id (null for the main agent) are written as two fields.
    private static func encode(_ agent: AgentRef, in container: inout KeyedEncodingContainer<CodingKeys>) throws {
        try container.encode(agent.name, forKey: .agent)
        try container.encode(agent.taskID, forKey: .taskID)
    }

    private static func agent(in container: KeyedDecodingContainer<CodingKeys>) throws -> AgentRef {
        AgentRef(
            name: try container.decode(String.self, forKey: .agent),
            taskID: try container.decodeIfPresent(TaskID.self, forKey: .taskID)
        )
    }
}
