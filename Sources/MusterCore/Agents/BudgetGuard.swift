/// Holds one agent's run to its budget: says when it is used up, and cuts the tool calls that
/// would go past it (the calls over the tool-call budget are not run; the time left stops a call).
struct BudgetGuard: Sendable {
    /// Nil when there is nothing to guard (no task, or no limit).
    private let budget: TaskBudget?
    private let runtime: AgentRuntime
    private let task: TaskContext?
    /// Time since the run began: a budget's seconds count from there.
    private let timeline: Timeline

    init(budget: TaskBudget?, runtime: AgentRuntime, task: TaskContext?) {
        self.budget = budget.flatMap { $0.isUnlimited ? nil : $0 }
        self.runtime = runtime
        self.task = task
        self.timeline = Timeline(clock: runtime.clock)
    }

    /// What the task has spent of each kind (own + children's tokens and tool calls).
    private func spent() async -> [TaskBudget.Kind: Int]? {
        guard budget != nil, let task, let snapshot = await runtime.registry.snapshot(of: task.id) else { return nil }
        return TaskBudget.spent(snapshot.totalUsage, ownModelCalls: snapshot.usage.modelCalls, elapsed: timeline.now)
    }

    /// Why the budget is used up, or nil while some of each kind is left.
    func exhaustion() async -> String? {
        guard let budget, let spent = await spent() else { return nil }
        return budget.exhaustion(after: spent)
    }

    /// What the agent is told before its last turn.
    static func lastTurnMessage(_ reason: String) -> String {
        "Stop here: \(reason). You can use no more tools. Reply now with a report of what you have found and done so far; it is your final answer."
    }

    /// Runs a turn's tool calls within what is left; the outputs match `calls` index for index.
    func run(_ calls: [ToolCall], executor: ToolExecutor, agent: AgentRef) async -> [ToolOutput] {
        let task = self.task
        guard let budget, let spent = await spent() else { return await executor.run(calls, agent: agent, task: task) }
        let left = budget.remaining(after: spent)
        var runnable = calls
        var refused: [ToolOutput] = []
        if let allowed = left.maxToolCalls, let limit = budget.maxToolCalls, allowed < calls.count {
            runnable = Array(calls.prefix(allowed))
            refused = Array(repeating: .error("Not run: the budget of \(limit) tool calls (max_tool_calls) is used up."), count: calls.count - allowed)
        }
        guard let seconds = budget.maxSeconds else { return await executor.run(runnable, agent: agent, task: task) + refused }
        let remaining = Duration.seconds(seconds) - timeline.now
        let clock = runtime.clock
        let batch = runnable
        // The calls race the time left; whichever ends first cancels the other, and the group
        // waits for both (a cancelled call has ended when this returns).
        let outputs = await withTaskGroup(of: [ToolOutput]?.self) { group in
            group.addTask { await executor.run(batch, agent: agent, task: task) }
            group.addTask {
                try? await clock.sleep(for: remaining)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        let stopped = ToolOutput.error("Stopped: the budget of \(seconds) seconds (max_seconds) ran out during the call.")
        return (outputs ?? Array(repeating: stopped, count: batch.count)) + refused
    }
}
