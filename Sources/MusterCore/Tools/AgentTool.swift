/// `agent`: launches a named sub-agent with a prompt, in the foreground (awaited, its progress
/// streamed into this call) or in the background (registered, capped, returns at once).
public struct AgentTool: Tool {
    public init() {}

    public let spec = ToolSpec(
        name: "agent",
        description: "Launch a sub-agent with a prompt. With background: true it runs on its own and its result arrives later; otherwise this call waits for its answer.",
        parameters: [
            "type": "object",
            "properties": [
                "name": ["type": "string", "description": "Sub-agent type, e.g. explore"],
                "prompt": ["type": "string", "description": "What the sub-agent should do"],
                "background": ["type": "boolean", "description": "Run in the background (default false)"],
                "max_tokens": ["type": "integer", "description": "Budget: tokens it may use, its sub-agents' included"],
                "max_seconds": ["type": "integer", "description": "Budget: seconds it may run"],
                "max_tool_calls": ["type": "integer", "description": "Budget: tool calls it may make, its sub-agents' included"],
                "max_steps": ["type": "integer", "description": "Budget: model calls it may make"],
            ],
            "required": ["name", "prompt"],
        ]
    )

    public var isConcurrencySafe: Bool { true }
    public var startsTasks: Bool { true }

    public func run(_ arguments: JSONValue, context: ToolContext) async throws -> ToolOutput {
        // Launched in the order the model listed the calls: the ids, the slots under the cap,
        // the queue's order and the budgets granted follow it. A cancelled turn launches nothing
        // more. The turn is handed on once registered; a call that ends without registering
        // hands it on as it ends (`ToolExecutor.runOne`).
        let ticket = context.launchTicket
        if let ticket, await !ticket.waitTurn() { throw CancellationError() }
        let name = try arguments.requiredString("name").trimmingCharacters(in: .whitespacesAndNewlines)
        let prompt = try arguments.requiredString("prompt")
        let background = try arguments.optionalBool("background") ?? false
        guard !name.isEmpty else { throw ToolError("Invalid argument \"name\": expected a non-empty sub-agent name.") }
        guard let runtime = context.runtime else { throw ToolError("Sub-agents are not available here.") }
        let spawner = context.agent.asSpawner
        var requested = TaskBudget()
        for kind in TaskBudget.Kind.allCases {
            guard let value = try arguments.optionalInt(kind.rawValue) else { continue }
            guard value > 0 else { throw ToolError("Invalid argument \"\(kind.rawValue)\": expected a positive whole number.") }
            requested[kind] = value
        }
        let (budget, cut) = await runtime.budget(requested: requested, spawner: spawner)
        if let spent = TaskBudget.Kind.allCases.first(where: { budget[$0] == 0 }) {
            return .error("Cannot start sub-agent \"\(name)\": nothing is left of this agent's budget of \(spent.unit) (\(spent.rawValue)).")
        }
        // Said in the tool result, so the model knows what its sub-agent really got.
        let cutNote = cut.isEmpty ? "" : " Budget narrowed to what is left: \(cut.joined(separator: "; "))."

        if background {
            // Refusal is a tool result, never an exception that aborts the turn.
            if let refusal = await runtime.registry.preflight(mode: .background) {
                return .error(refusal.description)
            }
            do {
                let id = try await runtime.startBackgroundAgent(name: name, prompt: prompt, spawner: spawner, budget: budget)
                ticket?.handOn()
                if let queued = await runtime.registry.snapshot(of: id), queued.isQueued {
                    context.progress.report("queued \(name) \(id) (\(queued.statusWord))")
                    return ToolOutput("Background agent \"\(name)\" queued (task \(id), \(queued.statusWord)): every slot is taken; it starts when one frees, and its result arrives when it finishes. Stop it with cancel_task if it is no longer needed." + cutNote)
                }
                context.progress.report("started \(name) \(id) in the background")
                return ToolOutput("Background agent \"\(name)\" started (task \(id)). Its result arrives when it finishes; use wait_task or list_tasks to check on it." + cutNote)
            } catch {
                return .error(error.description)
            }
        }

        let result: TaskResult
        do {
            result = try await runtime.runForegroundAgent(
                name: name, prompt: prompt, spawner: spawner, budget: budget, mirror: context.progress, registered: { _ in ticket?.handOn() }
            )
        } catch let moved as MovedToBackground {
            return ToolOutput("Sub-agent \"\(name)\" was moved to the background as task \(moved.task.id); its result arrives when it finishes.")
        }
        switch result.status {
        case .completed(let summary):
            return ToolOutput(summary + (cutNote.isEmpty ? "" : "\n(\(cutNote.dropFirst()))"))
        case .budgetExhausted(let reason, let report):
            return ToolOutput("Sub-agent \"\(name)\" stopped: \(reason). Its report:\n\(report)")
        case .failed(let error):
            return .error("Sub-agent \"\(name)\" failed: \(error)")
        case .cancelled(let source):
            return .error("Sub-agent \"\(name)\" was cancelled \(source).")
        case .pending, .queued, .running, .paused:
            return .error("Sub-agent \"\(name)\" did not finish.")
        }
    }
}

import Foundation
