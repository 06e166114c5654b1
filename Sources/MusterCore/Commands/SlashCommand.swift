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
    /// `/clear`: empty the transcript.
    case clear
    /// `/quit`: stop everything and exit.
    case quit

    /// Every command may run while a foreground turn runs (none of them touches the turn).
    public var isAllowedWhileTurnRuns: Bool {
        switch self {
        case .help, .listTasks, .showTask, .stopTask, .cancelAll, .clear, .quit: true
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
        case .quit: .quit
        }
    }
}
