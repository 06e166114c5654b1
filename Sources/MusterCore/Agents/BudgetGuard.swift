/// Holds one agent's run to its budget: says when it is used up, ends the work in flight when
/// its time runs out (a model call, or the tool calls under way, through the agent's
/// `AgentInterrupt`), and cuts the tool calls that would go past the tool-call budget.
/// A class: a struct of its size was copied into the frame of every async call made through it.
final class BudgetGuard: Sendable {
    /// Nil when there is nothing to guard (no task, or no limit).
    private let budget: TaskBudget?
    private let runtime: AgentRuntime
    private let task: TaskContext?
    /// Ends the work in flight when the time runs out (nil without a task).
    private let interrupt: AgentInterrupt?
    /// Time since the run began: a budget's seconds count from there (a queued task's run
    /// begins when it leaves the queue, so its waiting never counts).
    private let timeline: Timeline

    init(budget: TaskBudget?, runtime: AgentRuntime, task: TaskContext?, interrupt: AgentInterrupt?) {
        self.budget = budget.flatMap { $0.isUnlimited ? nil : $0 }
        self.runtime = runtime
        self.task = task
        self.interrupt = interrupt
        self.timeline = Timeline(clock: runtime.clock)
    }

    /// True when the run has a time budget to watch (`watchDeadline`).
    var hasDeadline: Bool { budget?.maxSeconds != nil && interrupt != nil }

    /// Waits until the time budget runs out, then ends the work in flight (and any started
    /// later); returns early when cancelled (the run ended first). One watch per agent with a
    /// time budget, for the whole run: no task per model or tool call.
    func watchDeadline() async {
        guard let seconds = budget?.maxSeconds, let interrupt else { return }
        do {
            try await runtime.clock.sleep(for: .seconds(seconds) - timeline.now)
        } catch {
            return
        }
        interrupt.deadlinePassed()
    }

    /// What the task has spent of each kind (own + children's tokens and tool calls).
    private func spent() async -> [TaskBudget.Kind: Int]? {
        guard budget != nil, let task, let snapshot = await runtime.registry.snapshot(of: task.id) else { return nil }
        var spent = TaskBudget.spent(snapshot.totalUsage, ownModelCalls: snapshot.usage.modelCalls, elapsed: timeline.now)
        // The watch said so: the clock's reading may round a hair below the limit.
        if let seconds = budget?.maxSeconds, interrupt?.hasDeadlinePassed == true { spent[.seconds] = max(spent[.seconds] ?? 0, seconds) }
        return spent
    }

    /// Why the budget is used up, or nil while some of each kind is left.
    @inline(never)
    func exhaustion() async -> String? {
        guard let budget, let spent = await spent() else { return nil }
        return budget.exhaustion(after: spent)
    }

    /// What the agent is told before its last turn.
    static func lastTurnMessage(_ reason: String) -> String {
        "Stop here: \(reason). You can use no more tools. Reply now with a report of what you have found and done so far; it is your final answer."
    }

    /// Runs a turn's tool calls within what is left; the outputs match `calls` index for index.
    /// With a time budget the calls are work in flight of the agent's interrupt: when the time
    /// runs out they are cancelled (a `shell` call stops its process group) and this returns
    /// once they have ended.
    @inline(never)
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
        guard let seconds = budget.maxSeconds, let interrupt else { return await executor.run(runnable, agent: agent, task: task) + refused }
        let batch = runnable
        let (outputs, interrupted) = await interrupt.run(.toolCalls, { await executor.run(batch, agent: agent, task: task) })
        guard interrupted != nil || outputs == nil else { return (outputs ?? []) + refused }
        // Calls that had finished before the deadline keep their results; the others say why they stopped.
        let stopped = ToolOutput.error("Stopped: the budget of \(seconds) seconds (max_seconds) ran out during the call.")
        let ended = outputs?.map { $0 == ToolExecutor.cancelled ? stopped : $0 } ?? Array(repeating: stopped, count: batch.count)
        return ended + refused
    }
}
