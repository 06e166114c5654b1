extension SessionRecord.Body {
    /// The record of a session event: every event has exactly one.
    public init(_ event: SessionEvent) {
        switch event {
        case .userInput(let text):
            self = .userInput(text: text)
        case .turnStart(let turn, let trigger):
            self = .turnStart(turn: turn, trigger: SessionRecord.TurnTriggerKind(trigger))
        case .turnEnd(let turn, let outcome):
            self = .turnEnd(turn: turn, outcome: outcome)
        case .textDelta(let agent, let text):
            self = .textDelta(agent: agent, text: text)
        case .assistantMessage(let agent, let text):
            self = .assistantMessage(agent: agent, text: text)
        case .toolStart(let agent, let callID, let tool, let arguments):
            self = .toolStart(agent: agent, callID: callID, tool: tool, arguments: arguments)
        case .toolProgress(let agent, let callID, let line):
            self = .toolProgress(agent: agent, callID: callID, line: line)
        case .toolEnd(let agent, let callID, let tool, let output):
            self = .toolEnd(agent: agent, callID: callID, tool: tool, output: output.content, isError: output.isError)
        case .task(.started(let snapshot)):
            self = .taskStarted(TaskState(snapshot))
        case .task(.updated(let snapshot)):
            self = .taskUpdated(TaskState(snapshot))
        case .task(.finished(let snapshot)):
            self = .taskFinished(TaskState(snapshot))
        case .task(.resultsWaiting(let spawner, let count)):
            self = .resultsWaiting(spawnerID: spawner.taskID, count: count)
        case .modelUsage(let agent, let usage):
            self = .modelUsage(agent: agent, usage: usage)
        case .warning(let message):
            self = .warning(message: message)
        case .slashCommand(let command):
            self = .slashCommand(command: command)
        case .reply(let reply):
            // Not written by the recorder (a reply is what the screen showed, not the
            // session's story) until the log records events themselves.
            self = .warning(message: "reply: \(reply)")
        }
    }

    /// Text deltas go to live streams only; the log keeps the complete assistant messages.
    public var isTextDelta: Bool {
        if case .textDelta = self { true } else { false }
    }
}
