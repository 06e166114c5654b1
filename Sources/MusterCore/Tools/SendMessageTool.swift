import Foundation

/// `send_message`: puts a message in the inbox of an agent the calling agent launched; the agent
/// reads it before its next model call.
public struct SendMessageTool: Tool {
    public init() {}

    public let spec = ToolSpec(
        name: "send_message",
        description: "Send a message to a background agent you launched; it reads it before its next model call.",
        parameters: [
            "type": "object",
            "properties": [
                "task_id": ["type": "string", "description": "Task id, e.g. #7 or 7"],
                "text": ["type": "string", "description": "The message"],
            ],
            "required": ["task_id", "text"],
        ]
    )

    public var isConcurrencySafe: Bool { true }

    public func run(_ arguments: JSONValue, context: ToolContext) async throws -> ToolOutput {
        guard let runtime = context.runtime else { throw ToolError("Tasks are not available here.") }
        let id = try taskID(from: arguments, key: "task_id")
        guard let text = arguments["text"]?.stringValue, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ToolError.badArgument("text", expected: "the message", in: arguments)
        }
        switch await runtime.registry.sendMessage(text, to: id, requestedBy: context.agent.asSpawner) {
        case .queued(_, let ahead, let snapshot):
            let paused = snapshot.isPaused ? " It is paused: it reads it when resumed." : ""
            return ToolOutput("Queued for \(id) (\(snapshot.name)), \(ahead) ahead.\(paused)")
        case .refused(let snapshot):
            return .error("Task \(id) is \(snapshot.statusWord): it will not read messages.")
        case .notFound:
            return .error("No task \(id).")
        case .forbidden:
            return .error("Task \(id) was not launched by you.")
        }
    }
}
