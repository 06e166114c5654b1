/// What an agent is doing while a tool call runs, in the words of the `/tasks` ACTIVITY column:
/// `shell: make test`, `grep: TODO|FIXME in Sources`, `read: README.md`, `waiting for #4`, and
/// `writing: "Mapping the top two levels…"` while the agent streams text.
/// One line; the table cuts it to the column.
public enum ToolActivity {
    /// The activity of one call of `tool` with `arguments`; an unknown tool is named as it is.
    public static func text(tool: String, arguments: JSONValue) -> String {
        func string(_ key: String) -> String? {
            guard let value = arguments[key]?.stringValue else { return nil }
            let line = oneLine(value)
            return line.isEmpty ? nil : line
        }
        func taskID() -> String? {
            if let number = arguments["id"]?.intValue, number > 0 { return "\(TaskID(number))" }
            return string("id").map { TaskID(parsing: $0).map(String.init(describing:)) ?? $0 }
        }
        switch tool {
        case "shell":
            return "shell: " + (string("command") ?? "")
        case "grep":
            let pattern = string("pattern") ?? ""
            let path = string("path").flatMap { $0 == "." ? nil : $0 }
            return "grep: \(pattern)" + (path.map { " in \($0)" } ?? "")
        case "read_file":
            return "read: " + (string("path") ?? "")
        case "write_file":
            return "write: " + (string("path") ?? "")
        case "edit_file":
            return "edit: " + (string("path") ?? "")
        case "list_files":
            return "list: " + (string("path") ?? ".")
        case "agent":
            let background = arguments["background"]?.boolValue ?? false
            return "agent: " + (string("name") ?? "") + (background ? " (background)" : "")
        case "wait_task":
            return "waiting for " + (taskID() ?? "a task")
        case "cancel_task":
            return "stopping " + (taskID() ?? "a task")
        case "list_tasks":
            return "listing tasks"
        default:
            return tool
        }
    }

    /// The activity of a batch of calls run together: the first call's, and how many more run with it.
    public static func text(of calls: [ToolCall]) -> String {
        guard let first = calls.first else { return "" }
        let head = text(tool: first.name, arguments: first.arguments)
        return calls.count == 1 ? head : "\(head) (+\(calls.count - 1) more)"
    }

    /// Characters of an agent's text that its `writing:` activity shows at most.
    public static let writingLength = 60

    /// `writing: "Mapping the top two levels…"`: the start of the text an agent is streaming
    /// (its first non-blank line, at most `writingLength` characters); nil while it is blank.
    public static func writing(_ text: String) -> String? {
        let start = writingStart(of: text)
        return start.isEmpty ? nil : "writing: \"\(start)…\""
    }

    /// The part of `text` a `writing:` activity shows.
    static func writingStart(of text: String) -> Substring {
        let trimmed = text.drop { $0.isWhitespace }
        var line = trimmed.prefix { !$0.isNewline }.prefix(writingLength)
        while line.last?.isWhitespace == true { line = line.dropLast() }
        return line
    }

    /// The first non-blank line, trimmed; `…` when more lines follow.
    static func oneLine(_ text: String) -> String {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard let first = lines.first else { return "" }
        return lines.count > 1 ? first + " …" : first
    }
}
