/// `read_task_output`: the last lines of a background shell's output, for the agent that
/// started it (scoped like the other task tools).
public struct ReadTaskOutputTool: Tool {
    static let defaultLines = 50
    static let maxLines = 1_000

    public init() {}

    public let spec = ToolSpec(
        name: "read_task_output",
        description: "Read the last lines of the output of a background shell you started (shell with background: true), while it runs or after it ended.",
        parameters: [
            "type": "object",
            "properties": [
                "task_id": ["type": "string", "description": "Task id, e.g. #7 or 7"],
                "lines": ["type": "integer", "description": "How many of the last lines (default 50, at most 1000)", "minimum": 1],
            ],
            "required": ["task_id"],
        ]
    )

    public var isConcurrencySafe: Bool { true }

    public func run(_ arguments: JSONValue, context: ToolContext) async throws -> ToolOutput {
        guard let runtime = context.runtime else { throw ToolError("Tasks are not available here.") }
        let id = try taskID(from: arguments, key: "task_id")
        let lines = try arguments.optionalInt("lines") ?? Self.defaultLines
        guard lines > 0, lines <= Self.maxLines else {
            throw ToolError("lines must be from 1 to \(Self.maxLines), not \(lines).")
        }
        guard let task = await runtime.registry.snapshot(of: id) else { return .error("No task \(id).") }
        guard task.spawner == context.agent.asSpawner else { return .error("Task \(id) was not launched by you.") }
        guard task.kind == .shell else { return .error("Task \(id) is an agent, not a shell: its result comes with wait_task.") }
        guard let tail = await runtime.backgroundShells.tail(of: id, lines: lines) else {
            return ToolOutput("Task \(id) has not started yet: no output.")
        }
        var text = "Task \(id) (\(task.name)) · \(task.statusWord)"
        if let note = tail.note { text += "\n[\(note)]" }
        text += tail.lines.isEmpty ? "\n(no output yet)" : "\n" + tail.lines.joined(separator: "\n")
        return ToolOutput(text)
    }
}
