/// Turns a line the person typed into a `SlashCommand`, or a message that says what is wrong.
///
/// Words are separated by blanks; quotes mean nothing (no command takes a text argument).
public struct SlashCommandParser: Sendable {
    /// The parser.
    public init() {}

    /// True when the line is meant as a command: its first non-blank character is `/`.
    public static func isCommand(_ line: String) -> Bool {
        line.drop(while: \.isWhitespace).first == "/"
    }

    /// The command `line` names, or the usage line / unknown-command message to show instead.
    public func parse(_ line: String) -> Result<SlashCommand, SlashCommandError> {
        let words = line.split(whereSeparator: \.isWhitespace).map(String.init)
        guard let first = words.first, first.hasPrefix("/") else {
            return .failure(SlashCommandError("Commands start with / — try /help"))
        }
        let name = first.dropFirst().lowercased()
        let arguments = Array(words.dropFirst())
        switch name {
        case "help":
            return arguments.isEmpty ? .success(.help) : .failure(.usage(.help))
        case "clear":
            return arguments.isEmpty ? .success(.clear) : .failure(.usage(.clear))
        case "quit":
            return arguments.isEmpty ? .success(.quit) : .failure(.usage(.quit))
        case "tasks":
            return parseTasks(arguments)
        case "cancel":
            return parseCancel(arguments)
        default:
            return .failure(.unknownCommand(String(first)))
        }
    }

    private func parseTasks(_ arguments: [String]) -> Result<SlashCommand, SlashCommandError> {
        guard let sub = arguments.first?.lowercased() else { return .success(.listTasks) }
        switch sub {
        case "list" where arguments.count == 1:
            return .success(.listTasks)
        case "show":
            let all = arguments.count == 3 && ["all", "full", "--all"].contains(arguments[2].lowercased())
            guard arguments.count == 2 || all, let id = TaskID(parsing: arguments[1]) else { return .failure(.usage(.tasksShow)) }
            return .success(.showTask(id, all: all))
        case "stop":
            guard arguments.count == 2, let id = TaskID(parsing: arguments[1]) else { return .failure(.usage(.tasksStop)) }
            return .success(.stopTask(id))
        default:
            return .failure(SlashCommandError("Usage: /tasks, /tasks show <id>, /tasks stop <id>"))
        }
    }

    private func parseCancel(_ arguments: [String]) -> Result<SlashCommand, SlashCommandError> {
        guard let target = arguments.first else {
            return .failure(SlashCommandError("Usage: /cancel <id> or /cancel all"))
        }
        if target.lowercased() == "all" {
            return arguments.count == 1 ? .success(.cancelAll) : .failure(.usage(.cancelAll))
        }
        guard arguments.count == 1, let id = TaskID(parsing: target) else { return .failure(.usage(.cancel)) }
        return .success(.stopTask(id))
    }
}
