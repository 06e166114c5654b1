/// What a task has cost so far: the model's tokens, its model calls and its tool calls. A
/// snapshot carries the task's own usage and that of everything it launched (own + children).
public struct TaskUsage: Sendable, Equatable, Codable {
    public var inputTokens: Int
    public var outputTokens: Int
    /// Model turns the agent has taken.
    public var modelCalls: Int
    /// Tool calls the agent has made.
    public var toolCalls: Int

    public init(inputTokens: Int = 0, outputTokens: Int = 0, modelCalls: Int = 0, toolCalls: Int = 0) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.modelCalls = modelCalls
        self.toolCalls = toolCalls
    }

    /// One model turn that used `usage`.
    public init(modelCall usage: Usage) {
        self.init(inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, modelCalls: 1)
    }

    /// Input and output tokens together.
    public var tokens: Int { inputTokens + outputTokens }

    /// Nothing counted yet.
    public var isZero: Bool { self == TaskUsage() }

    public static func + (lhs: TaskUsage, rhs: TaskUsage) -> TaskUsage {
        TaskUsage(
            inputTokens: lhs.inputTokens + rhs.inputTokens, outputTokens: lhs.outputTokens + rhs.outputTokens,
            modelCalls: lhs.modelCalls + rhs.modelCalls, toolCalls: lhs.toolCalls + rhs.toolCalls
        )
    }

    public static func += (lhs: inout TaskUsage, rhs: TaskUsage) { lhs = lhs + rhs }

    enum CodingKeys: String, CodingKey {
        case inputTokens = "input_tokens", outputTokens = "output_tokens", modelCalls = "model_calls", toolCalls = "tool_calls"
    }
}
