extension AgentRuntime {
    /// Registers a background agent restored from an earlier session's log: it comes back
    /// `paused` (holding no cap slot, so the cap never refuses it), and once resumed goes on from
    /// `conversation`, made ready for the next model call (`resumable(_:)`). Returns its id.
    public func restoreBackgroundAgent(
        name: String, prompt: String, conversation: [ChatMessage], spawner: Spawner = .topLevel
    ) async throws(TaskRegistry.StartRefusal) -> TaskID {
        let request = TaskRegistry.Request(name: name, kind: .agent, description: prompt, spawner: spawner, mode: .background)
        let restored = Self.resumable(conversation.isEmpty ? [.system(systemPrompt(for: name)), .user(prompt)] : conversation)
        return try await registry.startPaused(request) { [self] context in
            var conversation = restored
            return try await run(agent: AgentRef(name: name, taskID: context.id), conversation: &conversation, task: context)
        }
    }

    /// A conversation cut off by the end of a session, made valid for the next model call: a tool
    /// call with no result gets one saying it was interrupted, and a conversation that ends in an
    /// answer or a result gets a user message asking the agent to go on.
    public static func resumable(_ conversation: [ChatMessage]) -> [ChatMessage] {
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
            messages.append(.user("[Muster was restarted and you were resumed: go on with your task from where you were.]"))
        }
        return messages
    }
}
