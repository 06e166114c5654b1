import Foundation

/// One line of the session log and of `--output-format stream-json`: a numbered, timestamped
/// record whose `type` field says what happened (see Docs/session-log.md).
public struct SessionRecord: Sendable, Equatable {
    /// The version of this schema, written in every `session_start` record.
    public static let schemaVersion = 1

    /// Position in the session, from 1; consecutive within one output (log or stream).
    public var sequence: Int
    /// When the record was made (wall clock, millisecond precision in JSON).
    public var time: Date
    /// What happened.
    public var body: Body
    /// The session the record belongs to (several sessions may append to one `--log-file`).
    public var sessionID: String?

    public init(sequence: Int, time: Date, body: Body, sessionID: String? = nil) {
        self.sequence = sequence
        self.time = time
        self.body = body
        self.sessionID = sessionID ?? body.ownSessionID
    }

    /// What a record says happened; each case is one `type`.
    public enum Body: Sendable, Equatable {
        /// The session began; always the first record.
        case sessionStart(SessionStart)
        /// The person's input, accepted by the session.
        case userInput(text: String)
        /// A slash command the person typed (recorded before it runs).
        case slashCommand(command: String)
        /// A main-agent turn began.
        case turnStart(turn: Int, trigger: TurnTriggerKind)
        /// A main-agent turn ended.
        case turnEnd(turn: Int, outcome: TurnOutcome)
        /// A piece of an assistant message as it streams (stream-json only, never in the log file).
        case textDelta(agent: AgentRef, text: String)
        /// A complete assistant message.
        case assistantMessage(agent: AgentRef, text: String)
        case toolStart(agent: AgentRef, callID: String, tool: String, arguments: JSONValue)
        /// A progress line of a tool call; `lines` > 1 when a writer that fell behind joined that
        /// many lines of the call into this record (`line` is the newest of them).
        case toolProgress(agent: AgentRef, callID: String, line: String, lines: Int = 1)
        case toolEnd(agent: AgentRef, callID: String, tool: String, output: String, isError: Bool)
        case taskStarted(TaskState)
        /// Status, step or activity changed (may skip intermediate states).
        case taskUpdated(TaskState)
        /// Exactly one per task.
        case taskFinished(TaskState)
        /// The number of finished background results waiting for a spawner changed.
        case resultsWaiting(spawnerID: TaskID?, count: Int)
        /// An agent's model turn ended, with its token counts.
        case modelUsage(agent: AgentRef, usage: Usage)
        case warning(message: String)
        /// A tool process group started or ended (to stop survivors after a crash).
        case toolProcess(ToolProcessRecord)
        /// The outcome of a headless run (before `session_end`).
        case result(RunResult)
        /// The session ended; always the last record of a complete log.
        case sessionEnd(SessionEnd)

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
            case .taskStarted: "task_started"
            case .taskUpdated: "task_updated"
            case .taskFinished: "task_finished"
            case .resultsWaiting: "results_waiting"
            case .modelUsage: "model_usage"
            case .warning: "warning"
            case .toolProcess: "tool_process"
            case .result: "result"
            case .sessionEnd: "session_end"
            }
        }
    }

    /// Why a main-agent turn started, as written in `turn_start`.
    public enum TurnTriggerKind: String, Sendable, Equatable, Codable {
        case input
        case backgroundResults = "background_results"

        public init(_ trigger: TurnTrigger) {
            switch trigger {
            case .input: self = .input
            case .backgroundResults: self = .backgroundResults
            }
        }
    }
}

// MARK: JSON

extension SessionRecord: Codable {
    enum CodingKeys: String, CodingKey {
        case type, seq, time
        case text, command, turn, trigger, outcome, error
        case agent, taskID = "task_id", callID = "call_id"
        case tool, arguments, line, lines, output, isError = "is_error"
        case task, spawnerID = "spawner_id", count
        case inputTokens = "input_tokens", outputTokens = "output_tokens"
        case message
        case sessionID = "session_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sequence = try container.decode(Int.self, forKey: .seq)
        time = try SessionRecord.decodeTime(container.decode(String.self, forKey: .time), in: container, key: .time)
        body = try Body(from: decoder)
        sessionID = try container.decodeIfPresent(String.self, forKey: .sessionID)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sequence, forKey: .seq)
        try container.encode(SessionRecord.formatTime(time), forKey: .time)
        if body.ownSessionID == nil { try container.encodeIfPresent(sessionID, forKey: .sessionID) }
        try body.encode(to: encoder)
    }

    /// The record as one line of compact JSON (no trailing newline), `type`, `seq`, `time` and
    /// `session_id` first and the other keys sorted, so logs read well and diff stably.
    /// (`session_start` and `session_end` carry `session_id` among their sorted fields.)
    public var jsonLine: String {
        var head = "{\"type\":\"\(body.type)\",\"seq\":\(sequence),\"time\":\"\(SessionRecord.formatTime(time))\""
        if body.ownSessionID == nil, let sessionID { head += ",\"session_id\":" + JSONValue.string(sessionID).jsonText }
        let payload = body.payloadJSON
        // payload is "{...}": splice its members after the head.
        return payload == "{}" ? head + "}" : head + "," + payload.dropFirst()
    }

    /// Parses one line written by `jsonLine` (or any JSON encoder).
    public static func parse(_ line: some StringProtocol) throws -> SessionRecord {
        try JSONDecoder().decode(SessionRecord.self, from: Data(line.utf8))
    }

    /// UTC, to the nearest millisecond: `2025-11-21T16:00:00.125Z`. Rounded by hand, because the
    /// format style truncates, so a parsed time (a hair below the millisecond) would print one less.
    static func formatTime(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let (seconds, fraction) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        let (wholeSeconds, millis) = fraction < 0 ? (seconds - 1, fraction + 1000) : (seconds, fraction)
        let stamp = Date(timeIntervalSince1970: TimeInterval(wholeSeconds)).formatted(secondsStyle)
        return String(stamp.dropLast()) + String(format: ".%03dZ", millis)
    }

    static func decodeTime<Key: CodingKey>(_ text: String, in container: KeyedDecodingContainer<Key>, key: Key) throws -> Date {
        guard let date = try? timeStyle.parse(text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "expected an ISO 8601 time, found \"\(text)\"")
        }
        return date
    }

    private static let timeStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    private static let secondsStyle = Date.ISO8601FormatStyle()
}

extension SessionRecord.Body: Codable {
    typealias CodingKeys = SessionRecord.CodingKeys

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
            self = .turnStart(
                turn: try container.decode(Int.self, forKey: .turn),
                trigger: try container.decode(SessionRecord.TurnTriggerKind.self, forKey: .trigger)
            )
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
                output: try container.decode(String.self, forKey: .output),
                isError: try container.decode(Bool.self, forKey: .isError)
            )
        case "task_started":
            self = .taskStarted(try container.decode(TaskState.self, forKey: .task))
        case "task_updated":
            self = .taskUpdated(try container.decode(TaskState.self, forKey: .task))
        case "task_finished":
            self = .taskFinished(try container.decode(TaskState.self, forKey: .task))
        case "results_waiting":
            self = .resultsWaiting(
                spawnerID: try container.decodeIfPresent(TaskID.self, forKey: .spawnerID),
                count: try container.decode(Int.self, forKey: .count)
            )
        case "model_usage":
            self = .modelUsage(
                agent: try Self.agent(in: container),
                usage: Usage(
                    inputTokens: try container.decode(Int.self, forKey: .inputTokens),
                    outputTokens: try container.decode(Int.self, forKey: .outputTokens)
                )
            )
        case "warning":
            self = .warning(message: try container.decode(String.self, forKey: .message))
        case "tool_process":
            self = .toolProcess(try ToolProcessRecord(from: decoder))
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

    /// Everything but `type`, `seq` and `time`.
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
            try container.encode(trigger, forKey: .trigger)
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
        case .toolEnd(let agent, let callID, let tool, let output, let isError):
            try Self.encode(agent, in: &container)
            try container.encode(callID, forKey: .callID)
            try container.encode(tool, forKey: .tool)
            try container.encode(output, forKey: .output)
            try container.encode(isError, forKey: .isError)
        case .taskStarted(let task), .taskUpdated(let task), .taskFinished(let task):
            try container.encode(task, forKey: .task)
        case .resultsWaiting(let spawnerID, let count):
            try container.encode(spawnerID, forKey: .spawnerID)
            try container.encode(count, forKey: .count)
        case .modelUsage(let agent, let usage):
            try Self.encode(agent, in: &container)
            try container.encode(usage.inputTokens, forKey: .inputTokens)
            try container.encode(usage.outputTokens, forKey: .outputTokens)
        case .warning(let message):
            try container.encode(message, forKey: .message)
        case .toolProcess(let record):
            try record.encode(to: encoder)
        case .result(let result):
            try result.encode(to: encoder)
        case .sessionEnd(let end):
            try end.encode(to: encoder)
        }
    }

    /// The session id written in the body's own fields (`session_start`, `session_end`, `tool_process`).
    var ownSessionID: String? {
        switch self {
        case .sessionStart(let start): start.sessionID
        case .sessionEnd(let end): end.sessionID
        case .toolProcess(let record): record.sessionID
        default: nil
        }
    }

    /// The body alone as one JSON object (no `seq` or `time`): `type` first, the rest sorted.
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
        guard let data = try? encoder.encode(Payload(body: self)), let text = String(data: data, encoding: .utf8) else {
            return "{}"
        }
        return text
    }

    private struct Payload: Encodable {
        let body: SessionRecord.Body
        func encode(to encoder: any Encoder) throws { try body.encodePayload(to: encoder) }
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
