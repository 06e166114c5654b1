/// What a restart brought back into a new session (`--continue`, `--resume`): the main
/// conversation, background agents that were running (now paused), finished tasks with their
/// results, and what the log could not give. Front ends word it (MusterPresentation `ResumeText`).
public struct ResumedSession: Sendable, Equatable {
    /// A background agent restored paused, under its old id unless that was taken.
    public struct Agent: Sendable, Equatable {
        public let id: TaskID
        public let previousID: TaskID
        public let name: String
    }

    /// The earlier session's id.
    public var sessionID: String
    /// Messages of the main conversation restored (0: it starts afresh).
    public var messages = 0
    public var agents: [Agent] = []
    /// Tasks listed as finished, as they ended.
    public var finished = 0
    /// Other tasks that were running (foreground agents, shells): listed as failed, interrupted.
    public var interrupted: [TaskSnapshot] = []
    /// Results that never reached their spawner, now waiting in its inbox (delivered once).
    public var undelivered = 0
    /// Lines of the log that could not be read, and whether the last one was torn.
    public var skippedLines = 0
    public var tornLastLine = false
    /// The log holds no conversation records (written before they were kept).
    public var lacksConversations = false

    /// What a restored task that was interrupted ends with.
    public static let interruptedStatus = TaskStatus.failed(error: "interrupted: Muster stopped before it finished")

    /// Puts what `loaded` holds into `session` (call before `session.start()` and before any
    /// task starts, so that every task keeps its old id): finished and interrupted tasks are
    /// listed as ended, in id order with the background agents, which come back paused; results
    /// never delivered go to their spawner's inbox; the main conversation, made valid for the
    /// next model call, becomes the session's. Everything restored is written to the new
    /// session's log as it happens (task records, conversation records), so the new log alone
    /// is enough for a later restart.
    public static func apply(_ loaded: SessionResume.Loaded, to session: Session) async -> ResumedSession {
        let restore = loaded.restore
        let runtime = session.runtime
        let registry = session.registry
        var summary = ResumedSession(sessionID: loaded.sessionID)
        summary.skippedLines = restore.skippedLines
        summary.tornLastLine = restore.tornLastLine
        summary.lacksConversations = restore.conversationRecords == 0 && !(restore.finished.isEmpty && restore.unfinished.isEmpty)

        enum Item { case ended(TaskSnapshot, TaskStatus?), paused(SessionLogRestore.Unfinished) }
        var items: [(TaskID, Item)] = restore.finished.map { ($0.id, .ended($0, nil)) }
        items += restore.interrupted.map { ($0.id, .ended($0, interruptedStatus)) }
        items += restore.unfinished.map { ($0.id, .paused($0)) }
        items.sort { $0.0 < $1.0 }
        var newIDs: [TaskID: TaskID] = [:]
        for (oldID, item) in items {
            switch item {
            case .ended(let task, let status):
                let undelivered = status == nil && restore.undelivered.contains(oldID)
                newIDs[oldID] = await registry.restoreFinished(task, status: status, undelivered: undelivered)
                if status == nil { summary.finished += 1 } else { summary.interrupted.append(task) }
                if undelivered { summary.undelivered += 1 }
            case .paused(let agent):
                let spawner = agent.spawner.taskID.map { Spawner.task(newIDs[$0] ?? $0) } ?? .topLevel
                guard let id = try? await runtime.restoreBackgroundAgent(
                    name: agent.name, prompt: agent.prompt, conversation: agent.conversation, spawner: spawner, id: oldID
                ) else { continue }
                newIDs[oldID] = id
                summary.agents.append(Agent(id: id, previousID: oldID, name: agent.name))
            }
        }
        let main = AgentRuntime.resumable(restore.mainConversation, goOn: false)
        summary.messages = main.count
        let waiting = await registry.pendingResultCount(for: .topLevel) > 0
        await session.restore(conversation: main, resultsWaiting: waiting)
        return summary
    }
}
