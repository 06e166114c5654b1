import Foundation

/// Where and how to reach an OpenAI-compatible chat completions server; the API key is never printed.
public struct OpenAIConfiguration: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The environment variables the configuration is read from.
    public enum EnvironmentKey {
        /// Selects the provider (`openai`); read by the CLI, not by `resolve`.
        public static let provider = "MUSTER_MODEL_PROVIDER"
        /// The API root, e.g. `http://localhost:11434/v1`.
        public static let baseURL = "MUSTER_BASE_URL"
        /// The key sent as a bearer token.
        public static let apiKey = "MUSTER_API_KEY"
        /// The model name.
        public static let model = "MUSTER_MODEL"
    }

    /// The value of `--model-provider` / `MUSTER_MODEL_PROVIDER` that selects this provider.
    public static let providerName = "openai"
    /// OpenAI's own endpoint, used when no base URL is given.
    public static let defaultBaseURL = "https://api.openai.com/v1"

    /// The API root without a trailing slash, e.g. `https://api.openai.com/v1`.
    public var baseURL: String
    /// Sent as `Authorization: Bearer ...` when present (local servers often need none).
    public var apiKey: APIKey?
    /// The model name sent with every request.
    public var model: String
    /// How long opening a connection may take.
    public var connectTimeout: Duration = .seconds(10)
    /// How long the server may stay silent while we wait for the response or the next bytes of the stream
    /// (generous: a local model may read a long prompt for minutes before its first token).
    public var readTimeout: Duration = .seconds(300)
    /// How long one whole request, streaming included, may take (a backstop; stalls hit `readTimeout`).
    public var requestTimeout: Duration = .seconds(3600)
    /// Tries per turn for 429, 5xx and failed connections (the first try included).
    public var maxAttempts: Int = 3
    /// The first backoff delay; it doubles on every retry unless the server sends `Retry-After`.
    public var initialBackoff: Duration = .seconds(1)
    /// The longest delay we wait for; a `Retry-After` beyond it fails the turn at once.
    public var maxBackoff: Duration = .seconds(60)

    /// A configuration from already-validated parts; prefer `resolve(...)` for user input.
    public init(baseURL: String, apiKey: APIKey?, model: String) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.model = model
    }

    /// The chat completions endpoint.
    public var chatCompletionsURL: String { baseURL + "/chat/completions" }

    /// Resolves flags over environment over defaults, and validates the result.
    ///
    /// Flags win over `MUSTER_BASE_URL`, `MUSTER_API_KEY` and `MUSTER_MODEL`; empty values count as absent.
    /// A model is required; the base URL must be an absolute http(s) URL without query or fragment; OpenAI's
    /// own endpoint requires a key (local servers such as Ollama or llama.cpp do not).
    public static func resolve(
        baseURL: String?,
        apiKey: String?,
        model: String?,
        environment: [String: String]
    ) throws(OpenAIConfigurationError) -> OpenAIConfiguration {
        func pick(_ flag: String?, _ key: String) -> String? {
            for candidate in [flag, environment[key]] {
                if let value = candidate?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty { return value }
            }
            return nil
        }
        guard let model = pick(model, EnvironmentKey.model) else { throw .missingModel }
        let baseURL = try validatedBaseURL(pick(baseURL, EnvironmentKey.baseURL) ?? defaultBaseURL)
        let apiKey = pick(apiKey, EnvironmentKey.apiKey).map(APIKey.init)
        if apiKey == nil, URL(string: baseURL)?.host == "api.openai.com" { throw .missingAPIKey(baseURL: baseURL) }
        return OpenAIConfiguration(baseURL: baseURL, apiKey: apiKey, model: model)
    }

    /// `text` as an API root: absolute http(s), a host, no query or fragment, no trailing slash.
    static func validatedBaseURL(_ text: String) throws(OpenAIConfigurationError) -> String {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased() else {
            throw .invalidBaseURL(text, reason: "not an absolute URL")
        }
        guard scheme == "http" || scheme == "https" else {
            throw .invalidBaseURL(text, reason: "the scheme must be http or https, not \(scheme)")
        }
        guard let host = url.host, !host.isEmpty else { throw .invalidBaseURL(text, reason: "it has no host") }
        guard url.query == nil, url.fragment == nil else {
            throw .invalidBaseURL(text, reason: "it must not contain a query or fragment")
        }
        var root = text
        while root.hasSuffix("/") { root.removeLast() }
        return root
    }

    /// Base URL, model and timeouts; the key shows only as `<redacted>` or `none`.
    public var description: String {
        "OpenAIConfiguration(baseURL: \(baseURL), model: \(model), apiKey: \(apiKey == nil ? "none" : "<redacted>"), "
            + "connectTimeout: \(connectTimeout), readTimeout: \(readTimeout), maxAttempts: \(maxAttempts))"
    }

    /// Same as `description`: the key stays redacted.
    public var debugDescription: String { description }
}
