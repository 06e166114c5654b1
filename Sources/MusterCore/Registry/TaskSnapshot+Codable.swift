import Foundation

/// A snapshot as the session log writes it: the `task` object of `task_started`, `task_updated`
/// and `task_finished`, and each entry of `tasks` in `result` and `session_end` (see
/// Docs/session-log.md).
///
/// The log keeps what a reader needs, not the registry's timeline: a decoded snapshot starts at
/// zero on its own timeline (`startedAt` is zero, `endedAt` is its age once it has ended), and
/// its trail is empty. `usage` is always written, `children_usage` once a child used anything
/// (absent, both read as zero). `cancelled_by` and `cancel_requested` are written as tags; `parent_ended`
/// reads back as the spawner having ended (the only parent a task has).
extension TaskSnapshot: Codable {
    enum CodingKeys: String, CodingKey {
        case id, name, kind, mode, spawnerID = "spawner_id", description, status, step, activity
        case summary, error, cancelledBy = "cancelled_by", cancelRequested = "cancel_requested"
        case startedAt = "started_at", durationSeconds = "duration_seconds"
        case usage, childrenUsage = "children_usage"
        case queuePosition = "queue_position"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let spawner = try container.decodeIfPresent(TaskID.self, forKey: .spawnerID).map(Spawner.task) ?? .topLevel
        func source(_ key: CodingKeys) throws -> CancellationSource? {
            guard let tag = try container.decodeIfPresent(String.self, forKey: key) else { return nil }
            guard let source = CancellationSource(tag: tag, spawner: spawner) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "unknown cancellation source \"\(tag)\"")
            }
            return source
        }
        let status: TaskStatus
        switch try container.decode(String.self, forKey: .status) {
        case "pending":
            status = .pending
        case "queued":
            status = .queued(position: try container.decodeIfPresent(Int.self, forKey: .queuePosition) ?? 0)
        case "running":
            status = .running(
                step: try container.decodeIfPresent(Int.self, forKey: .step) ?? 0,
                activity: try container.decodeIfPresent(String.self, forKey: .activity)
            )
        case "paused":
            status = .paused(
                step: try container.decodeIfPresent(Int.self, forKey: .step) ?? 0,
                activity: try container.decodeIfPresent(String.self, forKey: .activity)
            )
        case "completed":
            status = .completed(summary: try container.decodeIfPresent(String.self, forKey: .summary) ?? "")
        case "failed":
            status = .failed(error: try container.decodeIfPresent(String.self, forKey: .error) ?? "")
        case "cancelled":
            status = .cancelled(by: try source(.cancelledBy) ?? .user)
        case "budget exhausted":
            status = .budgetExhausted(
                reason: try container.decodeIfPresent(String.self, forKey: .error) ?? "",
                report: try container.decodeIfPresent(String.self, forKey: .summary) ?? ""
            )
        case let other:
            throw DecodingError.dataCorruptedError(
                forKey: .status, in: container,
                debugDescription: "expected pending, queued, running, paused, completed, failed, cancelled or budget exhausted, found \"\(other)\""
            )
        }
        let age = Duration.seconds(try container.decode(Double.self, forKey: .durationSeconds))
        self.init(
            id: try container.decode(TaskID.self, forKey: .id),
            name: try container.decode(String.self, forKey: .name),
            kind: try container.decode(TaskKind.self, forKey: .kind),
            description: try container.decode(String.self, forKey: .description),
            spawner: spawner,
            mode: try container.decode(TaskMode.self, forKey: .mode),
            status: status,
            cancelRequested: status.isTerminal ? nil : try source(.cancelRequested),
            startedAt: .zero,
            endedAt: status.isTerminal ? age : nil,
            startDate: try SessionRecord.decodeTime(container.decode(String.self, forKey: .startedAt), in: container, key: .startedAt),
            age: age,
            trail: [],
            usage: try container.decodeIfPresent(TaskUsage.self, forKey: .usage) ?? TaskUsage(),
            childrenUsage: try container.decodeIfPresent(TaskUsage.self, forKey: .childrenUsage) ?? TaskUsage()
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(kind, forKey: .kind)
        try container.encode(mode, forKey: .mode)
        // Always present: null means the main agent launched it.
        try container.encode(spawner.taskID, forKey: .spawnerID)
        try container.encode(description, forKey: .description)
        try container.encode(status.word, forKey: .status)
        switch status {
        case .pending:
            break
        case .queued(let position):
            try container.encode(position, forKey: .queuePosition)
        case .running(let step, let activity), .paused(let step, let activity):
            try container.encode(step, forKey: .step)
            try container.encodeIfPresent(activity, forKey: .activity)
        case .completed(let summary):
            try container.encode(summary, forKey: .summary)
        case .failed(let error):
            try container.encode(error, forKey: .error)
        case .cancelled(let source):
            try container.encode(source.tag, forKey: .cancelledBy)
        case .budgetExhausted(let reason, let report):
            try container.encode(report, forKey: .summary)
            try container.encode(reason, forKey: .error)
        }
        if !status.isTerminal { try container.encodeIfPresent(cancelRequested?.tag, forKey: .cancelRequested) }
        try container.encode(SessionRecord.formatTime(startDate), forKey: .startedAt)
        try container.encode(age.seconds, forKey: .durationSeconds)
        try container.encode(usage, forKey: .usage)
        // Only once something it launched has cost anything.
        if !childrenUsage.isZero { try container.encode(childrenUsage, forKey: .childrenUsage) }
    }
}

extension CancellationSource {
    /// The source a `tag` names; `parent_ended` names the spawner (nil for an unknown tag, or
    /// `parent_ended` of a task the main agent launched).
    init?(tag: String, spawner: Spawner) {
        switch tag {
        case "user": self = .user
        case "spawner": self = .spawner
        case "parent_ended":
            guard let parent = spawner.taskID else { return nil }
            self = .parentEnded(parent)
        case "turn_interrupted": self = .turnInterrupted
        case "shutdown": self = .shutdown
        default: return nil
        }
    }
}
