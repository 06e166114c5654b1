import Foundation

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
        case .movedToBackground(let snapshot):
            return ToolOutput("Task \(id) (\(snapshot.name)) was moved to the background and still runs; its result arrives when it finishes.")
        case .cancelled:
            throw CancellationError()
        case .notFound:
            return .error("No task \(id).")
        case .forbidden:
            return .error("Task \(id) was not launched by you.")
        }
    }
}
