import Foundation
import MusterCore

/// Builds a runtime around a model and tools, on its own registry: with the task tools (`agent`,
/// `list_tasks`, `wait_task`, `cancel_task`) added unless `taskTools` is false, and the temporary
/// folder as the workspace unless one is given, on `clock` (the settle window and pauses run on it).
public func makeRuntime(
    model: any LanguageModel,
    tools: [any Tool],
    taskTools: Bool = true,
    maxBackgroundAgents: Int = 10,
    stepLimit: Int = 20,
    subAgentStepLimit: Int? = nil,
    clock: any Clock<Duration> = ContinuousClock(),
    workspace: URL = URL(fileURLWithPath: NSTemporaryDirectory()),
    approvals: ApprovalGate = ApprovalGate(mode: .auto, canAsk: false)
) -> AgentRuntime {
    let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: maxBackgroundAgents))
    let added: [any Tool] = taskTools ? [AgentTool(), ListTasksTool(), WaitTaskTool(), CancelTaskTool(), SendMessageTool()] : []
    return AgentRuntime(registry: registry, model: model, tools: tools + added, workspace: workspace, clock: clock, stepLimit: stepLimit, subAgentStepLimit: subAgentStepLimit, approvals: approvals)
}
