import AsyncHTTPClient
import MusterCore
import NIOCore

/// A language model served by any OpenAI-compatible chat completions API (OpenAI, Ollama, vLLM,
/// llama.cpp server, LM Studio, OpenRouter, ...), streamed with tool calls.
///
/// Lifecycle: each instance owns one `HTTPClient` (a connection pool shared by all its turns, across
/// agents). Create one model per session, share it between agents, and call `shutdown()` once when the
/// session ends and no turn is running any more; a debug build traps if the client is dropped without it.
public final class OpenAIModel: LanguageModel {
    /// When a streamed tool call's arguments are not a JSON object, the call's arguments are
    /// `{"_raw": "<the text>"}` under this key, so the executor can tell the model its JSON was invalid.
    public static let rawArgumentsKey = "_raw"

    /// Where the model is served and how long to wait (the key inside is never printed).
    public let configuration: OpenAIConfiguration
    private let client: HTTPClient
    private let clock: any Clock<Duration>

    /// A model for `configuration`; `clock` times the retry backoff (inject an immediate clock in tests).
    public init(configuration: OpenAIConfiguration, clock: any Clock<Duration> = ContinuousClock()) {
        self.configuration = configuration
        self.clock = clock
        var http = HTTPClient.Configuration()
        http.timeout = .init(connect: TimeAmount(configuration.connectTimeout), read: TimeAmount(configuration.readTimeout))
        // We retry failed connections ourselves (counted in `maxAttempts`); the pool's own retries would
        // otherwise hold a request until its deadline when the server is down.
        http.connectionPool.retryConnectionEstablishment = false
        // Every running agent streams on its own HTTP/1 connection; the default of 8 would queue agents
        // beyond the eighth silently behind the others.
        http.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        // A redirect could carry the Authorization header to another host.
        http.redirectConfiguration = .disallow
        self.client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: http)
    }

    /// Streams one turn; the HTTP work happens while the caller iterates, in the caller's task.
    public func streamTurn(_ request: ModelRequest) -> AsyncThrowingStream<ModelEvent, any Error> {
        let turn = ChatCompletionTurn(client: client, configuration: configuration, clock: clock, request: request)
        return AsyncThrowingStream(unfolding: { try await turn.next() })
    }

    /// Closes the connection pool; call once, after the last turn. Calling it again does nothing.
    public func shutdown() async {
        // The only error is "already shut down", which is the state we want.
        try? await client.shutdown()
    }
}
