/// A parsed slash command, ready to execute against a session.
public enum SlashCommand: Sendable, Equatable {
    /// `/help`: every command with one line each.
    case help
    /// `/tasks`: the table of running and recently finished tasks.
    case listTasks
    /// `/tasks show <id>`: one task's usage, prompt, trail, transcript and result.
    /// `all` (`/tasks show <id> all`, `full` or `--all`): the whole kept transcript, not its tail.
    case showTask(TaskID, all: Bool = false)
    /// `/tasks stop <id>` or `/cancel <id>`: stop one task.
    case stopTask(TaskID)
    /// `/cancel all`: stop every running task, after a confirmation.
    case cancelAll
    /// `/tasks send <id> <text>`: put a message in an agent's inbox.
    case sendMessage(TaskID, String)
    /// `/tasks pause <id>`: pause an agent (its model request is cancelled, its tools finish).
    case pauseTask(TaskID)
    /// `/tasks resume <id>`: resume a paused agent (refused while the cap is full).
    case resumeTask(TaskID)
    /// `/tasks pause all`: pause every running agent.
    case pauseAll
    /// `/tasks resume all`: resume every paused agent, while the cap allows.
    case resumeAll
    /// `/clear`: empty the transcript.
    case clear
    /// `/sandbox`: the sandbox shell commands run under, and the kernel's Landlock ABI.
    case sandbox
    /// `/quit`: stop everything and exit.
    case quit
    /// `/tasks approve <id>`: approve the oldest call of that task waiting for approval.
    case approve(TaskID)
    /// `/tasks deny <id> [reason]`: deny it; the reason reaches the model.
    case deny(TaskID, reason: String?)
    /// `/allow <rule>`: a standing approval for the rest of the session.
    case allow(String)
    /// `/permissions`: the mode, the standing rules and the waiting requests.
    case permissions

    /// Every command may run while a foreground turn runs (none of them touches the turn).
    public var isAllowedWhileTurnRuns: Bool {
        switch self {
        case .help, .listTasks, .showTask, .stopTask, .cancelAll, .clear, .quit, .sandbox: true
        case .sendMessage, .pauseTask, .resumeTask, .pauseAll, .resumeAll: true
        case .approve, .deny, .allow, .permissions: true
        }
    }

    /// The entry of the catalogue this command belongs to.
    public var descriptor: SlashCommandDescriptor {
        switch self {
        case .help: .help
        case .listTasks: .tasks
        case .showTask: .tasksShow
        case .stopTask: .tasksStop
        case .cancelAll: .cancelAll
        case .clear: .clear
        case .sandbox: .sandbox
        case .quit: .quit
        case .sendMessage: .tasksSend
        case .pauseTask, .pauseAll: .tasksPause
        case .resumeTask, .resumeAll: .tasksResume
        case .approve: .tasksApprove
        case .deny: .tasksDeny
        case .allow: .allow
        case .permissions: .permissions
        }
    }
}
