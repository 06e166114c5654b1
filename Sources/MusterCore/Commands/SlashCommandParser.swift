/// Turns a line the person typed into a `SlashCommand`, or a message that says what is wrong.
///
/// Words are separated by blanks; quotes mean nothing. The one text argument (`/tasks send <id>
/// <text>`) is the rest of the line after the id, as typed.
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
        case "sandbox":
            return arguments.isEmpty ? .success(.sandbox) : .failure(.usage(.sandbox))
        case "tasks":
            if arguments.first?.lowercased() == "send" { return parseSend(line) }
            if arguments.first?.lowercased() == "deny" { return parseDeny(line) }
            return parseTasks(arguments)
        case "cancel":
            return parseCancel(arguments)
        case "allow":
            // The rule is the rest of the line, as typed.
            let rule = line.drop(while: \.isWhitespace).dropFirst(first.count).trimmingCharacters(in: .whitespaces)
            return rule.isEmpty ? .failure(.usage(.allow)) : .success(.allow(rule))
        case "permissions":
            return arguments.isEmpty ? .success(.permissions) : .failure(.usage(.permissions))
        case "panel":
            // The full-screen UI answers /panel before it gets here (it is a display setting).
            return .failure(SlashCommandError("/panel turns the agents panel of the full-screen UI on and off; this mode has no panel."))
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
        case "approve":
            guard arguments.count == 2, let id = TaskID(parsing: arguments[1]) else { return .failure(.usage(.tasksApprove)) }
            return .success(.approve(id))
        case "pause", "resume":
            let pause = sub == "pause"
            guard arguments.count == 2 else { return .failure(.usage(pause ? .tasksPause : .tasksResume)) }
            if arguments[1].lowercased() == "all" { return .success(pause ? .pauseAll : .resumeAll) }
            guard let id = TaskID(parsing: arguments[1]) else { return .failure(.usage(pause ? .tasksPause : .tasksResume)) }
            return .success(pause ? .pauseTask(id) : .resumeTask(id))
        default:
            return .failure(SlashCommandError("Usage: /tasks, /tasks show <id>, /tasks stop <id>, /tasks send <id> <text>, /tasks pause <id>|all, /tasks resume <id>|all, /tasks approve <id>, /tasks deny <id> [reason]"))
        }
    }

    /// `/tasks send <id> <text>`: the text is the rest of the line after the id, trimmed.
    private func parseSend(_ line: String) -> Result<SlashCommand, SlashCommandError> {
        let parts = line.drop(while: \.isWhitespace).split(maxSplits: 3, whereSeparator: \.isWhitespace)
        guard parts.count == 4, let id = TaskID(parsing: String(parts[2])) else { return .failure(.usage(.tasksSend)) }
        let text = parts[3].trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return .failure(.usage(.tasksSend)) }
        return .success(.sendMessage(id, text))
    }

    /// `/tasks deny <id> [reason]`: the reason is the rest of the line after the id, trimmed.
    private func parseDeny(_ line: String) -> Result<SlashCommand, SlashCommandError> {
        let parts = line.drop(while: \.isWhitespace).split(maxSplits: 3, whereSeparator: \.isWhitespace)
        guard parts.count >= 3, let id = TaskID(parsing: String(parts[2])) else { return .failure(.usage(.tasksDeny)) }
        let reason = parts.count == 4 ? parts[3].trimmingCharacters(in: .whitespacesAndNewlines) : ""
        return .success(.deny(id, reason: reason.isEmpty ? nil : reason))
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
