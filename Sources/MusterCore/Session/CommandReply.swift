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
    /// `/tasks send`: the message is in the agent's inbox behind `ahead` unread ones; `paused`
    /// when the agent is paused (it reads it once resumed).
    case messageQueued(TaskName, ahead: Int, paused: Bool)
    /// `/tasks send` to a task that will not read it (stopping, ended, not an agent).
    case messageRefused(TaskSnapshot)
    /// `/tasks pause <id>`: paused now, or `already` paused.
    case paused(TaskName, already: Bool)
    /// `/tasks pause <id>` of a task that is stopping, has ended, or is not an agent.
    case notPausable(TaskSnapshot)
    /// `/tasks resume <id>`: running again.
    case resumed(TaskName)
    /// `/tasks resume <id>` of a task that is not paused.
    case notPaused(TaskSnapshot)
    /// `/tasks resume <id>` refused: `reason` is the cap message.
    case resumeRefused(TaskName, reason: String)
    /// `/tasks pause all`: these agents were paused (none: nothing was running).
    case pausedAll([TaskName])
    /// `/tasks resume all`: these were resumed; `refused` stay paused (the cap, `reason`).
    case resumedAll([TaskName], refused: [TaskName], reason: String?)
    /// `/clear`: the front end empties its transcript.
    case clearTranscript
    /// `/sandbox`: the sandbox in force.
    case sandbox(SandboxStatus)
    /// `/quit` (or a confirmed quit): the front end ends the session. The session takes no
    /// further operations.
    case quit
    /// A line that is not a valid command: the usage line or unknown-command message to show.
    case usageError(String)
    /// `!COMMAND &`: the command runs in the background as task `id` of kind `shell`.
    case shellStarted(TaskID, command: String)
    /// Ctrl+B: the foreground `!` command goes on in the background as task `id`.
    case movedToBackground(TaskID, name: String)
    /// Ctrl+B with nothing in the foreground that can be moved.
    case nothingToMoveToBackground
    /// `/tasks approve|deny <id>`: the task's waiting call (`subject`: `shell: make test`) was answered.
    case approvalAnswered(TaskName, subject: String, answer: ApprovalAnswer)
    /// `/tasks approve|deny <id>` for a task with no call waiting for approval.
    case noApprovalPending(TaskID)
    /// `/allow <rule>`: the rule holds for the rest of the session (`added` false: it did already).
    case allowed(PermissionRule, added: Bool)
    /// `/permissions`: the mode, the standing rules, and the calls waiting (oldest first).
    case permissions(mode: PermissionMode, rules: [PermissionRule], pending: [PendingApproval])

    /// A call waiting for approval, as `/permissions` lists it.
    public struct PendingApproval: Sendable, Equatable, Codable {
        /// The asking agent's task; nil for the main agent.
        public let taskID: TaskID?
        public let agent: String
        /// `shell: make test`, `edit: README.md (+3 −1)`.
        public let subject: String

        public init(taskID: TaskID?, agent: String, subject: String) {
            self.taskID = taskID
            self.agent = agent
            self.subject = subject
        }
    }
}
