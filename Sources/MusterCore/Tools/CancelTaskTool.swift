import Foundation

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
