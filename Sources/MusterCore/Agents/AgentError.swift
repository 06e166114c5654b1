/// Why an agent run ended without a final answer.
public enum AgentError: Error, Equatable, CustomStringConvertible {
    case stepLimitReached(Int)
    case model(String)
    /// The agent used up its budget (`reason`) and gave `report` in its last turn.
    case budgetExhausted(reason: String, report: String)

    public var description: String {
        switch self {
        case .stepLimitReached(let limit):
            "The agent reached its step limit (\(limit) model calls) without finishing."
        case .model(let message):
            "The model failed: \(message)"
        case .budgetExhausted(let reason, _):
            "The agent stopped: \(reason)."
        }
    }
}

import Foundation
extension AgentError: LocalizedError {
    public var errorDescription: String? { description }
}
