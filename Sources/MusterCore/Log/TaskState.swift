import Foundation

/// A task as written in the session log: the `task` object of `task_started`, `task_updated`
/// and `task_finished`, and each entry of `tasks` in `result` and `session_end`.
public struct TaskState: Sendable, Equatable, Identifiable {
    public var id: TaskID
    /// The sub-agent type, e.g. `explore`.
    public var name: String
    public var kind: TaskKind
    public var mode: TaskMode
    /// The task that launched it; nil when the main agent did.
    public var spawnerID: TaskID?
    /// The prompt it was started with.
    public var description: String
    /// `pending`, `running`, `completed`, `failed` or `cancelled`.
    public var status: String
    /// The model step while running.
    public var step: Int?
    /// What it does now while running (e.g. the tool it runs).
    public var activity: String?
    /// The answer, when completed.
    public var summary: String?
    /// Why it failed, when failed.
    public var error: String?
    /// Who cancelled it (`user`, `spawner`, `parent_ended`, `turn_interrupted`, `shutdown`), when cancelled.
    public var cancelledBy: String?
    /// Set while a cancel was requested and the task has not stopped yet.
    public var cancelRequested: String?
    /// Wall-clock start.
    public var startedAt: Date
    /// Running time so far, or the total once ended.
    public var durationSeconds: Double

    public init(
        id: TaskID, name: String, kind: TaskKind = .agent, mode: TaskMode, spawnerID: TaskID? = nil,
        description: String, status: String, step: Int? = nil, activity: String? = nil, summary: String? = nil,
        error: String? = nil, cancelledBy: String? = nil, cancelRequested: String? = nil,
        startedAt: Date, durationSeconds: Double
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.mode = mode
        self.spawnerID = spawnerID
        self.description = description
        self.status = status
        self.step = step
        self.activity = activity
        self.summary = summary
        self.error = error
        self.cancelledBy = cancelledBy
        self.cancelRequested = cancelRequested
        self.startedAt = startedAt
        self.durationSeconds = durationSeconds
    }

    /// The log's view of a registry snapshot.
    public init(_ snapshot: TaskSnapshot) {
        self.init(
            id: snapshot.id, name: snapshot.name, kind: snapshot.kind, mode: snapshot.mode,
            spawnerID: snapshot.spawner.taskID, description: snapshot.description, status: snapshot.status.word,
            startedAt: snapshot.startDate, durationSeconds: snapshot.age.seconds
        )
        switch snapshot.status {
        case .pending: break
        case .running(let step, let activity):
            self.step = step
            self.activity = activity
        case .completed(let summary): self.summary = summary
        case .failed(let error): self.error = error
        case .cancelled(let source): cancelledBy = source.tag
        }
        if !snapshot.status.isTerminal { cancelRequested = snapshot.cancelRequested?.tag }
    }

    /// True once completed, failed or cancelled.
    public var isTerminal: Bool {
        status == "completed" || status == "failed" || status == "cancelled"
    }

    /// `#3 explore`: how messages name a task.
    public var label: String { "\(id) \(name)" }
}

extension TaskState: Codable {
    enum CodingKeys: String, CodingKey {
        case id, name, kind, mode, spawnerID = "spawner_id", description, status, step, activity
        case summary, error, cancelledBy = "cancelled_by", cancelRequested = "cancel_requested"
        case startedAt = "started_at", durationSeconds = "duration_seconds"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(TaskID.self, forKey: .id)
        name = try container.decode(String.self, forKey: .name)
        kind = try container.decode(TaskKind.self, forKey: .kind)
        mode = try container.decode(TaskMode.self, forKey: .mode)
        spawnerID = try container.decodeIfPresent(TaskID.self, forKey: .spawnerID)
        description = try container.decode(String.self, forKey: .description)
        status = try container.decode(String.self, forKey: .status)
        step = try container.decodeIfPresent(Int.self, forKey: .step)
        activity = try container.decodeIfPresent(String.self, forKey: .activity)
        summary = try container.decodeIfPresent(String.self, forKey: .summary)
        error = try container.decodeIfPresent(String.self, forKey: .error)
        cancelledBy = try container.decodeIfPresent(String.self, forKey: .cancelledBy)
        cancelRequested = try container.decodeIfPresent(String.self, forKey: .cancelRequested)
        startedAt = try SessionRecord.decodeTime(container.decode(String.self, forKey: .startedAt), in: container, key: .startedAt)
        durationSeconds = try container.decode(Double.self, forKey: .durationSeconds)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(kind, forKey: .kind)
        try container.encode(mode, forKey: .mode)
        // Always present: null means the main agent launched it.
        try container.encode(spawnerID, forKey: .spawnerID)
        try container.encode(description, forKey: .description)
        try container.encode(status, forKey: .status)
        try container.encodeIfPresent(step, forKey: .step)
        try container.encodeIfPresent(activity, forKey: .activity)
        try container.encodeIfPresent(summary, forKey: .summary)
        try container.encodeIfPresent(error, forKey: .error)
        try container.encodeIfPresent(cancelledBy, forKey: .cancelledBy)
        try container.encodeIfPresent(cancelRequested, forKey: .cancelRequested)
        try container.encode(SessionRecord.formatTime(startedAt), forKey: .startedAt)
        try container.encode(durationSeconds, forKey: .durationSeconds)
    }
}
