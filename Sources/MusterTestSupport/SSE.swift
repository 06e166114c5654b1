import MusterCore

/// Builds the `data:` events an OpenAI-compatible server streams.
public enum SSE {
    public static func event(_ payload: JSONValue) -> String { "data: \(payload.jsonText)\n\n" }

    public static func chunk(delta: JSONValue, finishReason: String? = nil) -> String {
        event(["id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [[
            "index": 0, "delta": delta, "finish_reason": finishReason.map(JSONValue.string) ?? .null,
        ]]])
    }

    public static func text(_ content: String) -> String { chunk(delta: ["content": .string(content)]) }

    /// One fragment of the tool call at `index`; the first carries `id` and `name`.
    public static func toolCall(index: Int, id: String? = nil, name: String? = nil, arguments: String) -> String {
        var function: [String: JSONValue] = ["arguments": .string(arguments)]
        if let name { function["name"] = .string(name) }
        var call: [String: JSONValue] = ["index": .number(Double(index)), "function": .object(function)]
        if let id { call["id"] = .string(id); call["type"] = "function" }
        return chunk(delta: ["tool_calls": [.object(call)]])
    }

    public static func finish(_ reason: String) -> String { chunk(delta: [:], finishReason: reason) }

    public static func usage(prompt: Int, completion: Int) -> String {
        event(["choices": [], "usage": [
            "prompt_tokens": .number(Double(prompt)), "completion_tokens": .number(Double(completion)),
            "total_tokens": .number(Double(prompt + completion)),
        ]])
    }

    public static let done = "data: [DONE]\n\n"
}
