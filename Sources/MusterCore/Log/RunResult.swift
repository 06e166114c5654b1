/// The `result` record of a headless run; also the whole `--output-format json` output.
public struct RunResult: Sendable, Equatable {
    /// How the run went, as `status`.
    public enum Status: String, Sendable, Equatable, Codable {
        case success
        /// The main agent failed (exit 1).
        case error
        /// A signal stopped the run (exit 130, 143 or 129).
        case interrupted
    }

    /// What happened to background work once the main turn ended, as `background`.
    public enum BackgroundOutcome: String, Sendable, Equatable, Codable {
        /// No background task was still running when the main turn ended.
        case none
        /// Muster waited for every background task and the agent took their results.
        case completed
        /// `--background-timeout` ran out; the rest were cancelled.
        case timedOut = "timed_out"
        /// `--no-wait`: the rest were cancelled at once.
        case notWaited = "not_waited"
        /// A signal or failure ended the wait; the rest were cancelled.
        case cancelled
    }

    /// Model calls of a run, as `model_calls`: each is one `model_usage` record.
    public struct ModelCalls: Sendable, Equatable, Codable {
        /// The main agent's.
        public var main: Int
        /// Every agent's, the main agent's included.
        public var total: Int

        public init(main: Int = 0, total: Int = 0) {
            self.main = main
            self.total = total
        }
    }

    public var status: Status
    /// The main agent's final answer (the last completed turn's text; empty if none).
    public var text: String
    /// Why the run failed or stopped.
    public var error: String?
    public var exitCode: Int32
    public var durationSeconds: Double
    /// Tokens of every agent's model turns, summed.
    public var usage: Usage
    /// Main-agent turns that ran.
    public var turns: Int
    /// Model calls made during the run.
    public var modelCalls: ModelCalls
    public var background: BackgroundOutcome
    /// Tasks still running at the end, which Muster cancelled.
    public var cancelledTaskIDs: [TaskID]
    /// Background results no agent took (e.g. after `--no-wait`); the person sees them here instead.
    public var undeliveredTaskIDs: [TaskID]
    /// Every task, in its final state.
    public var tasks: [TaskSnapshot]
    /// Tool calls refused because they needed approval nobody could give (`-p` in mode `ask`).
    public var approvalsRefused: [ApprovalRefusal]

    public init(
        status: Status, text: String, error: String? = nil, exitCode: Int32, durationSeconds: Double,
        usage: Usage, turns: Int, modelCalls: ModelCalls = ModelCalls(), background: BackgroundOutcome, cancelledTaskIDs: [TaskID] = [],
        undeliveredTaskIDs: [TaskID] = [], tasks: [TaskSnapshot], approvalsRefused: [ApprovalRefusal] = []
    ) {
        self.status = status
        self.text = text
        self.error = error
        self.exitCode = exitCode
        self.durationSeconds = durationSeconds
        self.usage = usage
        self.turns = turns
        self.modelCalls = modelCalls
        self.background = background
        self.cancelledTaskIDs = cancelledTaskIDs
        self.undeliveredTaskIDs = undeliveredTaskIDs
        self.tasks = tasks
        self.approvalsRefused = approvalsRefused
    }
}

extension RunResult: Codable {
    enum CodingKeys: String, CodingKey {
        case status, text, error, exitCode = "exit_code", durationSeconds = "duration_seconds", usage, turns, modelCalls = "model_calls"
        case background, cancelledTaskIDs = "cancelled_task_ids", undeliveredTaskIDs = "undelivered_task_ids", tasks
        case approvalsRefused = "approvals_refused"
    }

    enum UsageKeys: String, CodingKey {
        case inputTokens = "input_tokens", outputTokens = "output_tokens"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        status = try container.decode(Status.self, forKey: .status)
        text = try container.decode(String.self, forKey: .text)
        error = try container.decodeIfPresent(String.self, forKey: .error)
        exitCode = try container.decode(Int32.self, forKey: .exitCode)
        durationSeconds = try container.decode(Double.self, forKey: .durationSeconds)
        let usageContainer = try container.nestedContainer(keyedBy: UsageKeys.self, forKey: .usage)
        usage = Usage(
            inputTokens: try usageContainer.decode(Int.self, forKey: .inputTokens),
            outputTokens: try usageContainer.decode(Int.self, forKey: .outputTokens)
        )
        turns = try container.decode(Int.self, forKey: .turns)
        // Logs written before model calls were counted have none.
        modelCalls = try container.decodeIfPresent(ModelCalls.self, forKey: .modelCalls) ?? ModelCalls()
        background = try container.decode(BackgroundOutcome.self, forKey: .background)
        cancelledTaskIDs = try container.decode([TaskID].self, forKey: .cancelledTaskIDs)
        undeliveredTaskIDs = try container.decode([TaskID].self, forKey: .undeliveredTaskIDs)
        tasks = try container.decode([TaskSnapshot].self, forKey: .tasks)
        // Logs written before approvals existed have none.
        approvalsRefused = try container.decodeIfPresent([ApprovalRefusal].self, forKey: .approvalsRefused) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(status, forKey: .status)
        try container.encode(text, forKey: .text)
        try container.encode(error, forKey: .error)
        try container.encode(exitCode, forKey: .exitCode)
        try container.encode(durationSeconds, forKey: .durationSeconds)
        var usageContainer = container.nestedContainer(keyedBy: UsageKeys.self, forKey: .usage)
        try usageContainer.encode(usage.inputTokens, forKey: .inputTokens)
        try usageContainer.encode(usage.outputTokens, forKey: .outputTokens)
        try container.encode(turns, forKey: .turns)
        try container.encode(modelCalls, forKey: .modelCalls)
        try container.encode(background, forKey: .background)
        try container.encode(cancelledTaskIDs, forKey: .cancelledTaskIDs)
        try container.encode(undeliveredTaskIDs, forKey: .undeliveredTaskIDs)
        try container.encode(tasks, forKey: .tasks)
        try container.encode(approvalsRefused, forKey: .approvalsRefused)
    }
}
