/// The `session_end` record: how the session ended and the final state of every task.
public struct SessionEnd: Sendable, Equatable {
    public var sessionID: String
    public var ending: RunEnding
    /// The process's exit status (`ending.exitCode`); absent from some logs written before.
    public var exitCode: Int32?
    /// Every task the session ran, by id, in its last known state.
    public var tasks: [TaskSnapshot]

    public init(sessionID: String, ending: RunEnding, exitCode: Int32?, tasks: [TaskSnapshot]) {
        self.sessionID = sessionID
        self.ending = ending
        self.exitCode = exitCode
        self.tasks = tasks
    }
}

extension SessionEnd: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sessionID = try container.decode(String.self, forKey: .sessionID)
        ending = try container.decode(RunEnding.self, forKey: .ending)
        exitCode = try container.decodeIfPresent(Int32.self, forKey: .exitCode)
        tasks = try container.decode([TaskSnapshot].self, forKey: .tasks)
    }

    enum CodingKeys: String, CodingKey {
        case sessionID = "session_id", ending, exitCode = "exit_code", tasks
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sessionID, forKey: .sessionID)
        try container.encode(ending, forKey: .ending)
        try container.encode(exitCode, forKey: .exitCode)
        try container.encode(tasks, forKey: .tasks)
    }
}
