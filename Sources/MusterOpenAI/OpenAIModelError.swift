import Foundation

/// Why a turn against an OpenAI-compatible server failed; every message is free of the API key.
public enum OpenAIModelError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// Which wait ran out.
    public enum TimeoutKind: String, Sendable, Equatable {
        case connect, read, request
    }

    /// 401 or 403: the key is missing, wrong, or lacks access.
    case unauthorized(status: Int, message: String)
    /// 404: an unknown model, or a base URL that points at the wrong path.
    case notFound(url: String, message: String)
    /// 429 on every try, or a `Retry-After` longer than we are willing to wait.
    case rateLimited(message: String, attempts: Int)
    /// 5xx on every try.
    case serverError(status: Int, message: String, attempts: Int)
    /// Another status we do not retry (400, 413, 422, ...).
    case requestRejected(status: Int, message: String)
    /// The connection could not be opened or broke before a response arrived, on every try.
    case connectionFailed(message: String, attempts: Int)
    /// A wait ran out (`after` is the configured limit).
    case timedOut(TimeoutKind, after: Duration)
    /// The stream carried something that is not a chat completion chunk.
    case malformedStream(String)
    /// The stream ended before `[DONE]` or a `finish_reason`.
    case truncatedStream(String)
    /// The server sent an error object inside the stream.
    case streamError(String)
    /// The request could not be built (e.g. a tool schema that is not valid JSON).
    case invalidRequest(String)

    /// A message that says what happened and, where it helps, what to check.
    public var description: String {
        switch self {
        case .unauthorized(let status, let message):
            "The server refused the API key (HTTP \(status)): \(message) Check --api-key or MUSTER_API_KEY."
        case .notFound(let url, let message):
            "Not found (HTTP 404) at \(url): \(message) Check --model and --base-url."
        case .rateLimited(let message, let attempts):
            "Rate limited (HTTP 429) after \(Self.tries(attempts)): \(message)"
        case .serverError(let status, let message, let attempts):
            "Server error (HTTP \(status)) after \(Self.tries(attempts)): \(message)"
        case .requestRejected(let status, let message):
            "The server rejected the request (HTTP \(status)): \(message)"
        case .connectionFailed(let message, let attempts):
            "Could not reach the model server after \(Self.tries(attempts)): \(message)"
        case .timedOut(let kind, let limit):
            switch kind {
            case .connect: "Timed out connecting to the model server (limit \(limit))."
            case .read: "The model server sent nothing for \(limit) (read timeout)."
            case .request: "The model request took longer than \(limit) (request timeout)."
            }
        case .malformedStream(let detail):
            "The model server sent a malformed stream: \(detail)"
        case .truncatedStream(let detail):
            "The model server's stream ended early: \(detail)"
        case .streamError(let message):
            "The model server reported an error mid-stream: \(message)"
        case .invalidRequest(let detail):
            "Could not build the model request: \(detail)"
        }
    }

    /// Same as `description`.
    public var errorDescription: String? { description }

    private static func tries(_ count: Int) -> String { count == 1 ? "1 try" : "\(count) tries" }
}

extension OpenAIModelError {
    /// The same error with every occurrence of `key` in its text replaced by `<redacted>`.
    func redacting(_ key: APIKey?) -> OpenAIModelError {
        guard let key else { return self }
        let clean = key.redacting
        return switch self {
        case .unauthorized(let status, let message): .unauthorized(status: status, message: clean(message))
        case .notFound(let url, let message): .notFound(url: clean(url), message: clean(message))
        case .rateLimited(let message, let attempts): .rateLimited(message: clean(message), attempts: attempts)
        case .serverError(let status, let message, let attempts):
            .serverError(status: status, message: clean(message), attempts: attempts)
        case .requestRejected(let status, let message): .requestRejected(status: status, message: clean(message))
        case .connectionFailed(let message, let attempts): .connectionFailed(message: clean(message), attempts: attempts)
        case .timedOut: self
        case .malformedStream(let detail): .malformedStream(clean(detail))
        case .truncatedStream(let detail): .truncatedStream(clean(detail))
        case .streamError(let message): .streamError(clean(message))
        case .invalidRequest(let detail): .invalidRequest(clean(detail))
        }
    }
}
