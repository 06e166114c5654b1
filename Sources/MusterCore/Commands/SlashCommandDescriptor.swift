/// One entry of the slash-command catalogue: its name, usage line and one-line help.
public struct SlashCommandDescriptor: Sendable, Equatable {
    /// The word after the slash, e.g. `tasks`.
    public let name: String
    /// What to type, e.g. `/tasks stop <id>`.
    public let usage: String
    /// One line saying what it does.
    public let summary: String
    /// True when it may run while a foreground turn runs (all of Muster's commands may).
    public let isAllowedWhileTurnRuns: Bool

    init(name: String, usage: String, summary: String, isAllowedWhileTurnRuns: Bool = true) {
        self.name = name
        self.usage = usage
        self.summary = summary
        self.isAllowedWhileTurnRuns = isAllowedWhileTurnRuns
    }

    static let help = SlashCommandDescriptor(name: "help", usage: "/help", summary: "List the commands.")
    static let tasks = SlashCommandDescriptor(name: "tasks", usage: "/tasks", summary: "Show running and recently finished tasks.")
    static let tasksShow = SlashCommandDescriptor(name: "tasks", usage: "/tasks show <id> [all]", summary: "Show a task's usage, prompt, transcript (its tail; all with all) and result.")
    static let tasksStop = SlashCommandDescriptor(name: "tasks", usage: "/tasks stop <id>", summary: "Stop a running task.")
    static let tasksSend = SlashCommandDescriptor(name: "tasks", usage: "/tasks send <id> <text>", summary: "Send a message to a running agent (read before its next model call).")
    static let tasksPause = SlashCommandDescriptor(name: "tasks", usage: "/tasks pause <id>|all", summary: "Pause an agent (or all): no model calls until resumed.")
    static let tasksResume = SlashCommandDescriptor(name: "tasks", usage: "/tasks resume <id>|all", summary: "Resume a paused agent (or all).")
    static let tasksApprove = SlashCommandDescriptor(name: "tasks", usage: "/tasks approve <id>", summary: "Approve the call a background agent waits for (the oldest, when several wait).")
    static let tasksDeny = SlashCommandDescriptor(name: "tasks", usage: "/tasks deny <id> [reason]", summary: "Deny it; the agent's model sees the reason.")
    static let allow = SlashCommandDescriptor(name: "allow", usage: "/allow <rule>", summary: "Approve calls like 'shell: make test' or 'shell: git *' for this session.")
    static let permissions = SlashCommandDescriptor(name: "permissions", usage: "/permissions", summary: "Show the permission mode, the standing rules and the calls waiting for approval.")
    static let cancel = SlashCommandDescriptor(name: "cancel", usage: "/cancel <id>", summary: "Stop a running task (same as /tasks stop).")
    static let cancelAll = SlashCommandDescriptor(name: "cancel", usage: "/cancel all", summary: "Stop every running task (asks first).")
    static let clear = SlashCommandDescriptor(name: "clear", usage: "/clear", summary: "Clear the transcript.")
    static let sandbox = SlashCommandDescriptor(name: "sandbox", usage: "/sandbox", summary: "Show what shell commands may write and reach (the sandbox mode and the kernel's Landlock ABI).")
    static let quit = SlashCommandDescriptor(name: "quit", usage: "/quit", summary: "Stop every task and exit.")
    /// Handled by the full-screen UI itself (a display setting); elsewhere it says so.
    static let panel = SlashCommandDescriptor(name: "panel", usage: "/panel on|off", summary: "Show or hide the agents panel (full-screen UI).")

    /// Every usage line, in the order `/help` lists them.
    public static let all: [SlashCommandDescriptor] = [help, tasks, tasksShow, tasksStop, tasksSend, tasksPause, tasksResume, tasksApprove, tasksDeny, cancel, cancelAll, allow, permissions, panel, sandbox, clear, quit]

    /// The distinct command names (`help`, `tasks`, `cancel`, `clear`, `quit`), for completion.
    public static let names: [String] = {
        var seen: [String] = []
        for descriptor in all where !seen.contains(descriptor.name) { seen.append(descriptor.name) }
        return seen
    }()

    /// Subcommand words a command takes (for completion): `tasks` → `show`, `stop`.
    public static func subcommands(of name: String) -> [String] {
        switch name {
        case "tasks": ["show", "stop", "send", "pause", "resume", "approve", "deny"]
        case "cancel": ["all"]
        default: []
        }
    }
}
