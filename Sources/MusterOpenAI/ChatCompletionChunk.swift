/// One `data:` payload of a streamed chat completion, as OpenAI-compatible servers send it.
///
/// Every field is optional: servers differ in what they omit, and the decoder checks what it needs.
/// Decode with `JSONDecoder.KeyDecodingStrategy.convertFromSnakeCase`.
struct ChatCompletionChunk: Decodable {
    struct Choice: Decodable {
        var index: Int?
        var delta: Delta?
        var finishReason: String?
    }

    struct Delta: Decodable {
        var content: String?
        var toolCalls: [ToolCallDelta]?
    }

    /// A fragment of one tool call; fragments with the same `index` belong to the same call.
    struct ToolCallDelta: Decodable {
        var index: Int?
        var id: String?
        var function: FunctionDelta?
    }

    struct FunctionDelta: Decodable {
        var name: String?
        var arguments: String?
    }

    struct TokenCounts: Decodable {
        var promptTokens: Int?
        var completionTokens: Int?
    }

    /// `{"error": {"message": ...}}`, both in error responses and (from some servers) inside a stream.
    struct ServerError: Decodable {
        var message: String?
    }

    var choices: [Choice]?
    var usage: TokenCounts?
    var error: ServerError?
}
