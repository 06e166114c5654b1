/// Why an agent run ended without a final answer.
public enum AgentError: Error, Equatable, CustomStringConvertible {
    case stepLimitReached(Int)
    case model(String)

    public var description: String {
        switch self {
        case .stepLimitReached(let limit):
            "The agent reached its step limit (\(limit) model calls) without finishing."
        case .model(let message):
            "The model failed: \(message)"
        }
    }
}

import Foundation
extension AgentError: LocalizedError {
    public var errorDescription: String? { description }
}
