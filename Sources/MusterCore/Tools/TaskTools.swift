import Foundation

/// `list_tasks`: the tasks the calling agent launched, with status and age.
public struct ListTasksTool: Tool {
    public init() {}

    public let spec = ToolSpec(
        name: "list_tasks",
        description: "List the tasks (sub-agents) you launched, with their status.",
        parameters: ["type": "object", "properties": [:]]
    )

    public var isConcurrencySafe: Bool { true }

    public func run(_ arguments: JSONValue, context: ToolContext) async throws -> ToolOutput {
        guard let runtime = context.runtime else { throw ToolError("Tasks are not available here.") }
        let mine = await runtime.registry.snapshot().filter { $0.spawner == context.agent.asSpawner }
        guard !mine.isEmpty else { return ToolOutput("You have launched no tasks.") }
        let lines = mine.map { task in
            "\(task.id) \(task.name) [\(task.mode.rawValue)] \(task.statusWord) \(task.age.humanReadable)"
        }
        return ToolOutput(lines.joined(separator: "\n"))
    }
}

/// `wait_task`: waits (up to 300 s) for a task the calling agent launched and consumes its result.
public struct WaitTaskTool: Tool {
    /// The longest wait allowed.
    public static let maximumTimeout: Double = 300

    public init() {}

    public let spec = ToolSpec(
        name: "wait_task",
        description: "Wait for a background task you launched to finish and get its result (timeout up to 300 seconds).",
        parameters: [
            "type": "object",
            "properties": [
                "id": ["type": "string", "description": "Task id, e.g. #7 or 7"],
                "timeout_seconds": ["type": "number", "description": "How long to wait (default 30, at most 300)"],
            ],
            "required": ["id"],
        ]
    )

    public var isConcurrencySafe: Bool { true }

    public func run(_ arguments: JSONValue, context: ToolContext) async throws -> ToolOutput {
        guard let runtime = context.runtime else { throw ToolError("Tasks are not available here.") }
        let id = try taskID(from: arguments)
        let requested = try arguments.optionalDouble("timeout_seconds") ?? 30
        guard requested >= 0, requested.isFinite else {
            throw ToolError("Invalid argument \"timeout_seconds\": expected a number from 0 to 300.")
        }
        let seconds = min(requested, Self.maximumTimeout)
        let outcome = await runtime.registry.wait(
            for: id, requestedBy: context.agent.asSpawner, timeout: .milliseconds(Int64(seconds * 1000))
        )
        try Task.checkCancellation()
        switch outcome {
        case .finished(let result):
            return ToolOutput(BackgroundResultMessage.render(result))
        case .timedOut(let snapshot):
            return ToolOutput("Task \(id) (\(snapshot.name)) is still \(snapshot.status.word) after \(Duration.milliseconds(Int64(seconds * 1000)).humanReadable); activity: \(snapshot.trail.last ?? "none").")
        case .alreadyDelivered(let snapshot):
            return ToolOutput("Task \(id) (\(snapshot.name)) already ended (\(snapshot.status.word)); its result was delivered earlier.")
        case .cancelled:
            throw CancellationError()
        case .notFound:
            return .error("No task \(id).")
        case .forbidden:
            return .error("Task \(id) was not launched by you.")
        }
    }
}

/// `cancel_task`: stops a task the calling agent launched.
public struct CancelTaskTool: Tool {
    public init() {}

    public let spec = ToolSpec(
        name: "cancel_task",
        description: "Stop a task you launched.",
        parameters: [
            "type": "object",
            "properties": ["id": ["type": "string", "description": "Task id, e.g. #7 or 7"]],
            "required": ["id"],
        ]
    )

    public var isConcurrencySafe: Bool { true }

    public func run(_ arguments: JSONValue, context: ToolContext) async throws -> ToolOutput {
        guard let runtime = context.runtime else { throw ToolError("Tasks are not available here.") }
        let id = try taskID(from: arguments)
        switch await runtime.registry.cancel(id, requestedBy: context.agent.asSpawner) {
        case .cancelling(let snapshot):
            return ToolOutput("Stopping task \(id) (\(snapshot.name)).")
        case .alreadyFinished(let snapshot):
            return ToolOutput("Task \(id) already \(snapshot.status.word).")
        case .notFound:
            return .error("No task \(id).")
        case .forbidden:
            return .error("Task \(id) was not launched by you.")
        }
    }
}

/// Reads the `id` argument as `7`, `#7`, or the number 7.
private func taskID(from arguments: JSONValue) throws(ToolError) -> TaskID {
    if let number = arguments["id"]?.intValue, number > 0 { return TaskID(number) }
    if let text = arguments["id"]?.stringValue, let id = TaskID(parsing: text) { return id }
    throw ToolError.badArgument("id", expected: "a task id such as #7", in: arguments)
}
