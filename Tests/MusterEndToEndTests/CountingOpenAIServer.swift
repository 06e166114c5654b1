import Foundation
import MusterCore
import MusterTestSupport
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// An OpenAI-compatible chat completions server on 127.0.0.1 (ephemeral port) that answers each
/// request with what `respond` makes of it, whatever the order requests come in, and counts them by
/// agent (the agent's name is read from the system prompt Muster sends).
final class CountingOpenAIServer: Sendable {
    /// A request as the server saw it: the agent it came from and its messages.
    struct Request: Sendable {
        let agent: String
        let messages: [JSONValue]

        /// The texts of every message, joined: what a test searches for a delivered result.
        var text: String {
            messages.compactMap { $0["content"]?.stringValue }.joined(separator: "\n")
        }

        /// The content of the latest user message.
        var latestUserText: String {
            messages.last { $0["role"]?.stringValue == "user" }?["content"]?.stringValue ?? ""
        }

        /// True when the conversation has tool results in it (the agent's launch turn is past).
        var hasToolResults: Bool {
            messages.contains { $0["role"]?.stringValue == "tool" }
        }
    }

    /// What the server sends back: SSE events, after the given delay (the agent's simulated work).
    struct Answer: Sendable {
        var events: [String]
        var delay: Duration = .zero

        static func text(_ text: String, after delay: Duration = .zero) -> Answer {
            Answer(events: [SSE.text(text), SSE.finish("stop"), SSE.usage(prompt: 10, completion: 2), SSE.done], delay: delay)
        }

        /// One turn that makes these tool calls (name and JSON arguments each).
        static func toolCalls(_ calls: [(name: String, arguments: String)]) -> Answer {
            var events = calls.enumerated().map { index, call in
                SSE.toolCall(index: index, id: "call_\(index)", name: call.name, arguments: call.arguments)
            }
            events += [SSE.finish("tool_calls"), SSE.usage(prompt: 10, completion: 2), SSE.done]
            return Answer(events: events)
        }
    }

    typealias Responder = @Sendable (Request) async -> Answer
    private typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    let port: Int
    private let respond: Responder
    private let log = Mutex<[Request]>([])

    var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    /// The environment that points `muster` at this server.
    var environment: [String: String] {
        ["MUSTER_MODEL_PROVIDER": "openai", "MUSTER_BASE_URL": baseURL, "MUSTER_API_KEY": "test-key", "MUSTER_MODEL": "fake-model"]
    }

    /// Every request so far, in arrival order.
    var requests: [Request] { log.withLock { $0 } }

    /// Requests so far from the agent named `agent`.
    func requests(from agent: String) -> [Request] { requests.filter { $0.agent == agent } }

    private init(port: Int, respond: @escaping Responder) {
        self.port = port
        self.respond = respond
    }

    /// Starts a server, runs `body`, then stops the server and every connection.
    static func with<Result: Sendable>(
        respond: @escaping Responder,
        _ body: (CountingOpenAIServer) async throws -> Result
    ) async throws -> Result {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
        let server = CountingOpenAIServer(port: listener.channel.localAddress?.port ?? 0, respond: respond)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await withDiscardingTaskGroup { connections in
                    try? await listener.executeThenClose { inbound in
                        for try await connection in inbound {
                            connections.addTask { await server.serve(connection) }
                        }
                    }
                }
            }
            // Cancelling the acceptor closes the listener and, through its child tasks, every connection.
            defer { group.cancelAll() }
            return try await body(server)
        }
    }

    private func serve(_ connection: Connection) async {
        try? await connection.executeThenClose { inbound, outbound in
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head:
                    body.clear()
                case .body(var bytes):
                    body.writeBuffer(&bytes)
                case .end:
                    let json = try? JSONValue.parse(String(buffer: body))
                    let messages = json?["messages"]?.arrayValue ?? []
                    let system = messages.first?["content"]?.stringValue ?? ""
                    // "You are the <name> agent of Muster, ..."
                    let agent = system.split(separator: " ").dropFirst(3).first.map(String.init) ?? "?"
                    let request = Request(agent: agent, messages: messages)
                    log.withLock { $0.append(request) }
                    let answer = await respond(request)
                    if answer.delay > .zero { try await Task.sleep(for: answer.delay) }
                    let headers = HTTPHeaders([("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")])
                    try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)))
                    for event in answer.events {
                        try await outbound.write(.body(.byteBuffer(ByteBuffer(string: event))))
                    }
                    try await outbound.write(.end(nil))
                }
            }
        }
    }
}
