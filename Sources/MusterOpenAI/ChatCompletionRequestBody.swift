import MusterCore

/// Builds the JSON body of `POST /chat/completions` for one turn.
enum ChatCompletionRequestBody {
    /// The streamed request: model, messages, function tools, and usage in the stream.
    static func make(model: String, request: ModelRequest) -> JSONValue {
        var body: [String: JSONValue] = [
            "model": .string(model),
            "messages": .array(request.messages.map(wireMessage)),
            "stream": true,
            "stream_options": ["include_usage": true],
        ]
        // Some servers reject an empty tools array, so it is left out when there are no tools.
        if !request.tools.isEmpty { body["tools"] = .array(request.tools.map(wireTool)) }
        return .object(body)
    }

    static func wireMessage(_ message: ChatMessage) -> JSONValue {
        switch message {
        case .system(let text):
            return ["role": "system", "content": .string(text)]
        case .user(let text):
            return ["role": "user", "content": .string(text)]
        case .assistant(let text, let toolCalls):
            var wire: [String: JSONValue] = ["role": "assistant"]
            // OpenAI wants `content: null` rather than "" when the assistant only called tools.
            wire["content"] = text.isEmpty && !toolCalls.isEmpty ? .null : .string(text)
            if !toolCalls.isEmpty { wire["tool_calls"] = .array(toolCalls.map(wireToolCall)) }
            return .object(wire)
        case .tool(let callID, _, let content):
            return ["role": "tool", "tool_call_id": .string(callID), "content": .string(content)]
        }
    }

    static func wireToolCall(_ call: ToolCall) -> JSONValue {
        [
            "id": .string(call.id),
            "type": "function",
            "function": ["name": .string(call.name), "arguments": .string(call.arguments.jsonText)],
        ]
    }

    static func wireTool(_ spec: ToolSpec) -> JSONValue {
        [
            "type": "function",
            "function": [
                "name": .string(spec.name),
                "description": .string(spec.description),
                "parameters": spec.parameters,
            ],
        ]
    }
}
