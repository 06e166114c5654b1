/// Everything observable in a session, tagged with agent, task and call ids. Front ends,
/// the headless JSON stream and the session log all consume these: each event is one record
/// of the log (`SessionRecord` numbers and times it; see Docs/session-log.md for the JSON).
public enum SessionEvent: Sendable, Equatable {
    /// The session began; the recorder's first record (front ends ignore it). Boxed, as are the
    /// other records the recorder makes itself: they are large and rare.
    indirect case sessionStart(SessionStart)
    /// The person's input starts its turn (input queued behind a running turn comes when it starts).
    case userInput(text: String)
    /// A main-agent turn began; `trigger` says why (the person's input, or results that arrived).
    case turnStart(turn: Int, trigger: TurnTrigger)
    /// A main-agent turn ended.
    case turnEnd(turn: Int, outcome: TurnOutcome)
    /// A piece of an assistant message as it streams.
    case textDelta(agent: AgentRef, text: String)
    /// A complete assistant message (after its deltas).
    case assistantMessage(agent: AgentRef, text: String)
    case toolStart(agent: AgentRef, callID: String, tool: String, arguments: JSONValue)
    /// A progress line of a tool call; `lines` > 1 only in a record the recorder joined from
    /// that many lines of the call when an output fell behind (`line` is the newest of them).
    case toolProgress(agent: AgentRef, callID: String, line: String, lines: Int = 1)
    case toolEnd(agent: AgentRef, callID: String, tool: String, output: ToolOutput)
    /// A registry transition (task started, updated, finished, results waiting). Boxed: a
    /// snapshot is several times larger than any other case, and every buffered event of every
    /// subscriber would otherwise be that large (the progress-throughput benchmark shows it).
    indirect case task(TaskRegistryEvent)
    /// An agent's model turn ended.
    case modelUsage(agent: AgentRef, usage: Usage)
    /// Something the person should know that is not an error of the turn.
    case warning(String)
    /// A slash command the person typed, as the session received it (before it runs).
    case slashCommand(command: String)
    /// What a slash command, or the answer to its question, produced.
    indirect case reply(CommandReply)
    /// A tool process group started or ended (recorded so that the next start can stop survivors).
    indirect case toolProcess(ToolProcessRecord)
    /// Messages an agent's conversation gained (before each model call and when its run ends):
    /// the log keeps every conversation, so it can be rebuilt. Front ends ignore it.
    indirect case conversation(ConversationRecord)
    /// The outcome of a headless run, recorded just before `sessionEnd`.
    indirect case result(RunResult)
    /// The session ended; the last record of a complete log.
    indirect case sessionEnd(SessionEnd)
    /// A tool call waits for the person's approval (its agent waits; nothing else does).
    indirect case approvalRequested(ApprovalRequest)
    /// The person answered a request (a cancelled wait is answered `deny` without a reason).
    case approvalAnswered(id: Int, agent: AgentRef, answer: ApprovalAnswer)

    /// The agent the event is about, if any.
    public var agent: AgentRef? {
        switch self {
        case .textDelta(let agent, _), .assistantMessage(let agent, _), .toolStart(let agent, _, _, _),
             .toolProgress(let agent, _, _, _), .toolEnd(let agent, _, _, _), .modelUsage(let agent, _):
            agent
        case .conversation(let record):
            record.agent
        case .approvalRequested(let request):
            request.agent
        case .approvalAnswered(_, let agent, _):
            agent
        case .task, .warning, .userInput, .turnStart, .turnEnd, .slashCommand, .reply,
             .sessionStart, .toolProcess, .result, .sessionEnd:
            nil
        }
    }
}

/// Session events never coalesce except registry updates (see `TaskRegistryEvent.coalescingKey`).
public enum SessionEventKey: Hashable, Sendable {
    case task(TaskRegistryEventKey)
}

extension SessionEvent {
    @Sendable public static func coalescingKey(_ event: SessionEvent) -> SessionEventKey? {
        if case .task(let taskEvent) = event, let key = TaskRegistryEvent.coalescingKey(taskEvent) {
            return .task(key)
        }
        return nil
    }
}

/// The session's event bus.
public typealias SessionEventHub = EventHub<SessionEvent, SessionEventKey>

/// Why a main-agent turn started.
public enum TurnTrigger: Sendable, Equatable {
    /// The person's input. The log writes `"trigger":"input"` without the text (the
    /// `user_input` record just before holds it), so a trigger read from a log has empty text.
    case input(String)
    /// Finished background results arrived while the main agent was idle.
    case backgroundResults
}

/// How a main-agent turn ended.
public enum TurnOutcome: Sendable, Equatable {
    /// `text`: the turn's answers (one, plus one per background result it answered), blank-line separated.
    case completed(text: String)
    case cancelled
    case failed(error: String)
}
