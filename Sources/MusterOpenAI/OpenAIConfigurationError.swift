import Foundation

/// Why an OpenAI-compatible configuration could not be resolved from flags and environment.
public enum OpenAIConfigurationError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// Neither `--model` nor `MUSTER_MODEL` names a model.
    case missingModel
    /// The base URL is not an absolute http(s) API root.
    case invalidBaseURL(String, reason: String)
    /// OpenAI's own endpoint was chosen without a key.
    case missingAPIKey(baseURL: String)

    /// A message that tells the user what to pass or set.
    public var description: String {
        switch self {
        case .missingModel:
            "No model given: pass --model or set \(OpenAIConfiguration.EnvironmentKey.model) (e.g. gpt-4o-mini, llama3.1)."
        case .invalidBaseURL(let url, let reason):
            "Invalid base URL \"\(url)\": \(reason). Pass --base-url or set \(OpenAIConfiguration.EnvironmentKey.baseURL), e.g. http://localhost:11434/v1."
        case .missingAPIKey(let url):
            "\(url) needs an API key: pass --api-key or set \(OpenAIConfiguration.EnvironmentKey.apiKey)."
        }
    }

    /// Same as `description`.
    public var errorDescription: String? { description }
}
