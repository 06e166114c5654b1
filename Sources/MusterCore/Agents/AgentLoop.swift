extension AgentRuntime {
    /// Runs `agent` until its model answers without tool calls and no background result waits;
    /// returns the last answer.
    public func run(
        agent: AgentRef,
        conversation: inout [ChatMessage],
        task: TaskContext? = nil,
        mirror: ToolProgress? = nil
    ) async throws -> String {
        try await runAnswering(agent: agent, conversation: &conversation, task: task, mirror: mirror).last ?? ""
    }

    /// Runs `agent` until its model answers without tool calls and no background result waits;
    /// returns every answer it gave, in order (one, plus one per background result it answered).
    ///
    /// Finished background results are delivered one at a time, each when the model has
    /// answered what came before (or at once when the conversation has nothing to answer), so
    /// each gets an answer of its own and none cuts into the work of a message. `conversation`
    /// keeps everything that happened, also when the run throws. `mirror` receives a line per
    /// notable step (a foreground sub-agent's progress shown in its parent's call).
    public func runAnswering(
        agent: AgentRef,
        conversation: inout [ChatMessage],
        task: TaskContext? = nil,
        mirror: ToolProgress? = nil,
        resultsFirst: Bool = false
    ) async throws -> [String] {
        let executor = ToolExecutor(runtime: self)
        let specs = tools.values.map(\.spec).sorted { $0.name < $1.name }
        var inbox: [TaskResult] = []
        var answers: [String] = []
        var step = 0

        // Takes the agent's finished results and puts the oldest into the conversation.
        func deliverNextResult() async -> Bool {
            inbox += await registry.drainResults(for: agent.asSpawner)
            guard !inbox.isEmpty else { return false }
            let result = inbox.removeFirst()
            let stillRunning = await registry.snapshot().filter { $0.countsAgainstCap && $0.spawner == agent.asSpawner }.count
            conversation.append(.user(BackgroundResultMessage.render(result, stillRunning: stillRunning)))
            mirror?.report("\(agent.name): result of \(result.name) \(result.id) arrived (\(result.status.word))")
            return true
        }

        var awaitsAnswer = false
        if case .user = conversation.last { awaitsAnswer = true }
        if resultsFirst || !awaitsAnswer { _ = await deliverNextResult() }
        do {
            while true {
                try Task.checkCancellation()
                step += 1
                if step > stepLimit { throw AgentError.stepLimitReached(stepLimit) }
                await task?.report(step: step, activity: "thinking")
                try Task.checkCancellation()

                var text = ""
                var calls: [ToolCall] = []
                var usage = Usage()
                do {
                    for try await event in model.streamTurn(ModelRequest(agentName: agent.name, messages: conversation, tools: specs)) {
                        switch event {
                        case .textDelta(let delta):
                            text += delta
                            events.publish(.textDelta(agent: agent, text: delta))
                        case .toolCall(let call):
                            calls.append(call)
                        case .endOfTurn(let turnUsage):
                            usage = turnUsage
                        }
                    }
                } catch {
                    if !text.isEmpty { conversation.append(.assistant(text: text, toolCalls: [])) }
                    if error is CancellationError || Task.isCancelled { throw CancellationError() }
                    throw AgentError.model(TaskRegistry.describe(error))
                }
                if !text.isEmpty {
                    events.publish(.assistantMessage(agent: agent, text: text))
                    mirror?.report("\(agent.name): \(text)")
                }
                events.publish(.modelUsage(agent: agent, usage: usage))
                await task?.record(TaskUsage(modelCall: usage))
                if !text.isEmpty { await task?.transcribe(text) }
                conversation.append(.assistant(text: text, toolCalls: calls))
                // A stream that ended because the task was cancelled is not an answer.
                try Task.checkCancellation()
                if calls.isEmpty {
                    answers.append(text)
                    // A result is a new message: its answer gets the step limit afresh, as a
                    // turn of its own would (50 results must not exhaust a limit of 20).
                    if await deliverNextResult() {
                        step = 0
                        continue
                    }
                    return answers
                }

                for call in calls { mirror?.report("\(agent.name): \(call.name) \(call.arguments.jsonText)") }
                let outputs = await executor.run(calls, agent: agent, task: task)
                for (call, output) in zip(calls, outputs) {
                    conversation.append(.tool(callID: call.id, name: call.name, content: output.isError ? "Error: \(output.content)" : output.content))
                }
            }
        } catch {
            // Results taken from the inbox stay in the conversation: delivered once, seen next time.
            for result in inbox { conversation.append(.user(BackgroundResultMessage.render(result))) }
            throw error
        }
    }

    /// The system prompt of an agent.
    public func systemPrompt(for name: String) -> String {
        "You are the \(name) agent of Muster, working in \(workspace.path). Use the tools to act; answer concisely."
    }

    /// Starts a background sub-agent under `spawner`; returns its id at once (or the cap refusal).
    public func startBackgroundAgent(name: String, prompt: String, spawner: Spawner) async throws(TaskRegistry.StartRefusal) -> TaskID {
        let request = TaskRegistry.Request(name: name, kind: .agent, description: prompt, spawner: spawner, mode: .background)
        return try await registry.start(request) { [self] context in
            var conversation: [ChatMessage] = [.system(systemPrompt(for: name)), .user(prompt)]
            return try await run(agent: AgentRef(name: name, taskID: context.id), conversation: &conversation, task: context)
        }
    }

    /// Runs a foreground sub-agent: registered like any task (visible, stoppable), awaited here.
    /// Cancelling the caller cancels the sub-agent.
    public func runForegroundAgent(name: String, prompt: String, spawner: Spawner, mirror: ToolProgress?) async throws -> TaskResult {
        let request = TaskRegistry.Request(name: name, kind: .agent, description: prompt, spawner: spawner, mode: .foreground)
        let id = try await registry.start(request) { [self] context in
            var conversation: [ChatMessage] = [.system(systemPrompt(for: name)), .user(prompt)]
            return try await run(agent: AgentRef(name: name, taskID: context.id), conversation: &conversation, task: context, mirror: mirror)
        }
        let outcome = await registry.wait(for: id, requestedBy: spawner, timeout: nil)
        if Task.isCancelled {
            await registry.cancel(id, source: .turnInterrupted)
            throw CancellationError()
        }
        switch outcome {
        case .finished(let result):
            return result
        case .timedOut(let snapshot), .alreadyDelivered(let snapshot):
            return TaskResult(id: id, name: name, description: prompt, status: snapshot.status, duration: snapshot.age, trail: snapshot.trail)
        case .cancelled:
            await registry.cancel(id, source: .turnInterrupted)
            throw CancellationError()
        case .notFound, .forbidden:
            throw ToolError("Sub-agent \(id) disappeared.")
        }
    }
}
