extension AgentRuntime {
    /// Registers a background agent restored from an earlier session's log: it comes back
    /// `paused` (holding no cap slot, so the cap never refuses it), and once resumed goes on from
    /// `conversation`, made ready for the next model call (`resumable(_:)`). `id`: its id in the
    /// earlier session, kept when free (see `TaskRegistry.startPaused`). Its conversation goes
    /// into this session's log at once, so a restart of this session finds it even if it is
    /// never resumed. Returns its id.
    public func restoreBackgroundAgent(
        name: String, prompt: String, conversation: [ChatMessage], spawner: Spawner = .topLevel, id: TaskID? = nil
    ) async throws(TaskRegistry.StartRefusal) -> TaskID {
        let request = TaskRegistry.Request(
            name: name, kind: .agent, description: prompt, spawner: spawner, mode: .background, stepLimit: subAgentStepLimit
        )
        let restored = Self.resumable(conversation.isEmpty ? [.system(systemPrompt(for: name)), .user(prompt)] : conversation)
        let events = self.events
        // The record must precede the body's own (it runs up to its first model call and waits
        // there, persisting from `restored.count` on): published before the body can begin.
        let published = Locked(false)
        let publish: @Sendable (TaskID) -> Void = { id in
            published.withLock { done in
                guard !done else { return }
                done = true
                events.publish(.conversation(ConversationRecord(agent: AgentRef(name: name, taskID: id), from: 0, messages: restored)))
            }
        }
        let newID = try await registry.startPaused(request, id: id) { [self] context in
            publish(context.id)
            var conversation = restored
            return try await runAnswering(
                agent: AgentRef(name: name, taskID: context.id), conversation: &conversation, task: context,
                persistedFrom: restored.count
            ).last ?? ""
        }
        publish(newID)
        return newID
    }

    /// A conversation cut off by the end of a session, made valid for the next model call: a tool
    /// call with no result gets one saying it was interrupted, and (with `goOn`, for an agent at
    /// work) a conversation that ends in an answer or a result gets a user message asking the
    /// agent to go on. The main agent waits for the person instead (`goOn` false).
    public static func resumable(_ conversation: [ChatMessage], goOn: Bool = true) -> [ChatMessage] {
        var messages = conversation
        var answered = Set<String>()
        for message in messages { if case .tool(let callID, _, _) = message { answered.insert(callID) } }
        if let index = messages.lastIndex(where: { if case .assistant = $0 { true } else { false } }),
           case .assistant(_, let calls) = messages[index] {
            for call in calls where !answered.contains(call.id) {
                messages.append(.tool(callID: call.id, name: call.name, content: "Error: interrupted: Muster stopped before this call finished."))
            }
        }
        switch messages.last {
        case .user?:
            break
        default:
            if goOn { messages.append(.user("[Muster was restarted and you were resumed: go on with your task from where you were.]")) }
        }
        return messages
    }
}
