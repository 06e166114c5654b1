/// What one agent may spend before it must report and end; nil: no limit of that kind.
public struct TaskBudget: Sendable, Equatable {
    /// Input and output tokens, its own and its children's.
    public var maxTokens: Int?
    /// Running time since its body began.
    public var maxSeconds: Int?
    /// Tool calls, its own and its children's.
    public var maxToolCalls: Int?
    /// Its own model calls.
    public var maxSteps: Int?

    public init(maxTokens: Int? = nil, maxSeconds: Int? = nil, maxToolCalls: Int? = nil, maxSteps: Int? = nil) {
        self.maxTokens = maxTokens
        self.maxSeconds = maxSeconds
        self.maxToolCalls = maxToolCalls
        self.maxSteps = maxSteps
    }

    /// No limit of any kind.
    public var isUnlimited: Bool { self == TaskBudget() }

    /// One kind of limit, for messages and for going over every kind the same way.
    public enum Kind: String, Sendable, CaseIterable {
        case tokens = "max_tokens", seconds = "max_seconds", toolCalls = "max_tool_calls", steps = "max_steps"

        /// How the limit is counted in messages: `tokens`, `seconds`, `tool calls`, `model calls`.
        public var unit: String {
            switch self {
            case .tokens: "tokens"
            case .seconds: "seconds"
            case .toolCalls: "tool calls"
            case .steps: "model calls"
            }
        }
    }

    public subscript(kind: Kind) -> Int? {
        get {
            switch kind {
            case .tokens: maxTokens
            case .seconds: maxSeconds
            case .toolCalls: maxToolCalls
            case .steps: maxSteps
            }
        }
        set {
            switch kind {
            case .tokens: maxTokens = newValue
            case .seconds: maxSeconds = newValue
            case .toolCalls: maxToolCalls = newValue
            case .steps: maxSteps = newValue
            }
        }
    }

    /// What has been spent of each kind, as the budget counts it.
    public static func spent(_ usage: TaskUsage, ownModelCalls: Int, elapsed: Duration) -> [Kind: Int] {
        [.tokens: usage.tokens, .seconds: Int(elapsed.components.seconds), .toolCalls: usage.toolCalls, .steps: ownModelCalls]
    }

    /// What is left after `spent` (never below zero); unlimited kinds stay unlimited.
    public func remaining(after spent: [Kind: Int]) -> TaskBudget {
        var left = TaskBudget()
        for kind in Kind.allCases {
            left[kind] = self[kind].map { max(0, $0 - (spent[kind] ?? 0)) }
        }
        return left
    }

    /// The first kind whose limit `spent` has reached, with a sentence saying so; nil while some is left of each.
    public func exhaustion(after spent: [Kind: Int]) -> String? {
        for kind in Kind.allCases {
            if let limit = self[kind], (spent[kind] ?? 0) >= limit {
                return "its budget of \(limit) \(kind.unit) (\(kind.rawValue)) is used up"
            }
        }
        return nil
    }

    /// `requested` no wider than `self` (what the parent has left): each kind is the smaller of
    /// the two, or whichever is given; `cut` names each kind that asked for more than was left.
    public func grant(_ requested: TaskBudget) -> (budget: TaskBudget, cut: [String]) {
        var granted = TaskBudget()
        var cut: [String] = []
        for kind in Kind.allCases {
            switch (requested[kind], self[kind]) {
            case (let asked?, let left?):
                granted[kind] = min(asked, left)
                if asked > left { cut.append("\(kind.rawValue) \(asked) was cut to the \(left) left") }
            case (let asked?, nil):
                granted[kind] = asked
            case (nil, let left):
                granted[kind] = left
            }
        }
        return (granted, cut)
    }
}
