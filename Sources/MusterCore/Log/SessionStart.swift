import Foundation

/// The `session_start` record: which session this is and how it was started.
public struct SessionStart: Sendable, Equatable {
    public var schemaVersion: Int
    /// Random, 8 hex digits; also in the log file's name and in `session_end`.
    public var sessionID: String
    /// The process that writes the log (recovery skips sessions whose process still runs).
    public var pid: Int32
    /// The log file, when there is one.
    public var logFile: String?
    /// What the front end says about the session.
    public var metadata: SessionMetadata

    public init(schemaVersion: Int = SessionRecord.schemaVersion, sessionID: String, pid: Int32, logFile: String?, metadata: SessionMetadata) {
        self.schemaVersion = schemaVersion
        self.sessionID = sessionID
        self.pid = pid
        self.logFile = logFile
        self.metadata = metadata
    }
}

/// What the front end knows about a session when it starts.
public struct SessionMetadata: Sendable, Equatable {
    /// Interactive (a person at a terminal) or headless (`-p`).
    public enum Mode: String, Sendable, Equatable, Codable {
        case interactive
        case headless
    }

    public var mode: Mode
    /// The workspace root the tools work in.
    public var workspace: String
    /// The model in use, e.g. `scripted` or an API model name.
    public var model: String?
    /// The script file of the scripted model.
    public var script: String?
    /// The background agent cap in force.
    public var maxBackgroundAgents: Int?
    /// The sandbox shell commands ran under (absent in logs older than the sandbox).
    public var sandbox: SandboxStatus?

    public init(mode: Mode, workspace: String, model: String? = nil, script: String? = nil, maxBackgroundAgents: Int? = nil, sandbox: SandboxStatus? = nil) {
        self.mode = mode
        self.workspace = workspace
        self.model = model
        self.script = script
        self.maxBackgroundAgents = maxBackgroundAgents
        self.sandbox = sandbox
    }
}

extension SessionStart: Codable {
    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", sessionID = "session_id", pid, logFile = "log_file"
        case mode, workspace, model, script, maxBackgroundAgents = "max_background_agents", sandbox
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try container.decode(Int.self, forKey: .schemaVersion)
        sessionID = try container.decode(String.self, forKey: .sessionID)
        pid = try container.decode(Int32.self, forKey: .pid)
        logFile = try container.decodeIfPresent(String.self, forKey: .logFile)
        metadata = SessionMetadata(
            mode: try container.decode(SessionMetadata.Mode.self, forKey: .mode),
            workspace: try container.decode(String.self, forKey: .workspace),
            model: try container.decodeIfPresent(String.self, forKey: .model),
            script: try container.decodeIfPresent(String.self, forKey: .script),
            maxBackgroundAgents: try container.decodeIfPresent(Int.self, forKey: .maxBackgroundAgents),
            sandbox: try container.decodeIfPresent(SandboxStatus.self, forKey: .sandbox)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(schemaVersion, forKey: .schemaVersion)
        try container.encode(sessionID, forKey: .sessionID)
        try container.encode(pid, forKey: .pid)
        try container.encode(logFile, forKey: .logFile)
        try container.encode(metadata.mode, forKey: .mode)
        try container.encode(metadata.workspace, forKey: .workspace)
        try container.encode(metadata.model, forKey: .model)
        try container.encodeIfPresent(metadata.script, forKey: .script)
        try container.encodeIfPresent(metadata.maxBackgroundAgents, forKey: .maxBackgroundAgents)
        try container.encodeIfPresent(metadata.sandbox, forKey: .sandbox)
    }
}
