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
