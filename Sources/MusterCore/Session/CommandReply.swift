/// What a slash command (or the answer to its question) produced, as data: the front end
/// decides how it looks. Published as `SessionEvent.reply`, after the `slashCommand` event of
/// the line that asked for it; every command line and every answer gets exactly one.
public enum CommandReply: Sendable, Equatable, Codable {
    /// A task named in a reply.
    public struct TaskName: Sendable, Equatable, Codable {
        public let id: TaskID
        public let name: String

        public init(id: TaskID, name: String) {
            self.id = id
            self.name = name
        }
    }

    /// `/help`: the command catalogue (`SlashCommandDescriptor.all`).
    case help
    /// `/tasks`: every task the registry lists, at that moment.
    case taskList([TaskSnapshot])
    /// `/tasks show <id>`: the task and its transcript; `all` when every kept line was asked
    /// for (`/tasks show <id> all`), else the front end shows its tail; `session`: the session's
    /// model calls at that moment.
    case taskDetail(TaskSnapshot, transcript: AgentTranscript = AgentTranscript(), all: Bool = false, session: RunResult.ModelCalls? = nil)
    /// `/tasks stop <id>`: the stop was requested now, or had been already.
    case stopping(TaskID, name: String, alreadyStopping: Bool)
    /// `/tasks stop <id>` for a task that had already ended.
    case alreadyFinished(TaskSnapshot)
    /// No task has this id (or it may not be stopped from here).
    case noSuchTask(TaskID)
    /// `/cancel all`, answered yes: these tasks are being stopped.
    case stoppingAll([TaskName])
    /// `/cancel all` with nothing running (or nothing left when the answer came).
    case nothingRunning
    /// The command waits for a yes or no (send `SessionOp.answer`).
    case confirm(ConfirmationRequest)
    /// A line that answers the pending question with neither yes nor no: it is asked again.
    case unclearAnswer(ConfirmationRequest)
    /// The question was answered no: nothing happened.
    case declined(ConfirmationRequest.Action)
    /// `/clear`: the front end empties its transcript.
    case clearTranscript
    /// `/quit` (or a confirmed quit): the front end ends the session. The session takes no
    /// further operations.
    case quit
    /// A line that is not a valid command: the usage line or unknown-command message to show.
    case usageError(String)
}
