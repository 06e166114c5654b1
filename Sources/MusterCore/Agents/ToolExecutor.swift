/// Runs one model turn's tool calls: consecutive concurrency-safe calls run in parallel in a
/// task group, unsafe ones alone; results come back in call order; a failing call never
/// cancels its siblings; cancelling the turn cancels every call in flight.
struct ToolExecutor: Sendable {
    let runtime: AgentRuntime

    /// Runs `calls` for `agent`; the returned outputs match `calls` index for index.
    func run(_ calls: [ToolCall], agent: AgentRef, task: TaskContext?) async -> [ToolOutput] {
        var outputs: [ToolOutput] = []
        outputs.reserveCapacity(calls.count)
        var index = 0
        while index < calls.count {
            var end = index + 1
            if isConcurrencySafe(calls[index]) {
                while end < calls.count, isConcurrencySafe(calls[end]) { end += 1 }
            }
            let batch = Array(calls[index..<end])
            if let task {
                await task.report(activity: ToolActivity.text(of: batch))
                await task.record(TaskUsage(toolCalls: batch.count))
            }
            let batchOutputs = batch.count == 1 ? [await runOne(batch[0], agent: agent)] : await runConcurrently(batch, agent: agent)
            if let task {
                for (call, output) in zip(batch, batchOutputs) {
                    await task.transcribe("→ \(call.name) \(call.arguments.jsonText)\n" + AgentTranscript.result(output.content, isError: output.isError))
                }
            }
            outputs.append(contentsOf: batchOutputs)
            index = end
        }
        return outputs
    }

    /// The output of a call that was cancelled.
    static let cancelled = ToolOutput.error("Cancelled.")

    private func isConcurrencySafe(_ call: ToolCall) -> Bool {
        runtime.tools[call.name]?.isConcurrencySafe ?? true
    }

    private func runConcurrently(_ batch: [ToolCall], agent: AgentRef) async -> [ToolOutput] {
        // The calls that start tasks register them in the order listed (`LaunchOrder`).
        let launching = batch.indices.filter { runtime.tools[batch[$0].name]?.startsTasks == true }
        let order = launching.count > 1 ? LaunchOrder(positions: launching.count) : nil
        return await withTaskGroup(of: (Int, ToolOutput).self) { group in
            for (offset, call) in batch.enumerated() {
                let ticket = order.flatMap { order in launching.firstIndex(of: offset).map(order.ticket) }
                group.addTask { (offset, await runOne(call, agent: agent, launchTicket: ticket)) }
            }
            var results = [ToolOutput?](repeating: nil, count: batch.count)
            for await (offset, output) in group { results[offset] = output }
            return results.map { $0 ?? .error("The call produced no result.") }
        }
    }

    /// One call with its own progress stream, closed exactly once whatever happens.
    func runOne(_ call: ToolCall, agent: AgentRef, launchTicket: LaunchTicket? = nil) async -> ToolOutput {
        // However the call ends, the next call that starts tasks does not wait for it any more.
        defer { launchTicket?.handOn() }
        let events = runtime.events
        events.publish(.toolStart(agent: agent, callID: call.id, tool: call.name, arguments: call.arguments))
        guard let tool = runtime.tools[call.name] else {
            let known = runtime.tools.keys.sorted().joined(separator: ", ")
            let output = ToolOutput.error("Unknown tool \"\(call.name)\". Available tools: \(known).")
            events.publish(.toolEnd(agent: agent, callID: call.id, tool: call.name, output: output))
            return output
        }
        // Every call passes the approval gate; one it stops ends here, as an error result.
        if let refusal = await runtime.approvals.check(call, tool: tool, agent: agent, runtime: runtime) {
            events.publish(.toolEnd(agent: agent, callID: call.id, tool: call.name, output: refusal))
            return refusal
        }
        // The call's progress goes onto the bus as it is reported, tagged with this call alone.
        let callID = call.id
        let (progress, closeProgress) = ToolProgress.forwarding { line in
            events.publish(.toolProgress(agent: agent, callID: callID, line: line))
        }
        let context = ToolContext(
            callID: call.id, agent: agent, workspace: runtime.workspace, progress: progress, runtime: runtime,
            launchTicket: launchTicket
        )
        let output: ToolOutput
        do {
            output = try await tool.run(call.arguments, context: context)
        } catch is CancellationError {
            output = Self.cancelled
        } catch {
            output = .error(TaskRegistry.describe(error))
        }
        closeProgress()
        events.publish(.toolEnd(agent: agent, callID: call.id, tool: call.name, output: output))
        return output
    }
}
