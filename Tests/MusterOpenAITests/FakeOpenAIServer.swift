import Foundation
import MusterCore
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A small OpenAI-compatible HTTP server on 127.0.0.1 (ephemeral port) that plays scripted responses,
/// one per request in order, and reports what it sees as events.
final class FakeOpenAIServer: Sendable {
    /// What the server answers to one request.
    enum Response: Sendable {
        /// 200 with these SSE bytes, then the end of the response.
        case stream([String])
        /// 200 with these SSE bytes, then nothing: the response stays open until the client closes it.
        case streamThenHold([String])
        /// 200 with these SSE bytes, then the server closes the connection in the middle of the body.
        case streamThenDisconnect([String])
        /// Nothing at all: the request waits for a response head until the client gives up.
        case silence
        /// An error status with a body and extra headers.
        case status(HTTPResponseStatus, body: String, headers: [(String, String)] = [])
    }

    /// A request as the server received it.
    struct Request: Sendable {
        var method: HTTPMethod
        var path: String
        var headers: HTTPHeaders
        /// The body parsed as JSON (`nil` when it is not JSON).
        var json: JSONValue?
    }

    /// What the server observed, in order.
    enum Event: Sendable {
        case request(Request)
        /// A client connection ended (closed by the client, or by the server after `streamThenDisconnect`).
        case connectionClosed
    }

    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    let port: Int
    let events: AsyncStream<Event>
    private let eventSink: AsyncStream<Event>.Continuation
    private let script: Mutex<[Response]>

    var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    private init(port: Int, responses: [Response]) {
        self.port = port
        self.script = Mutex(responses)
        (events, eventSink) = AsyncStream.makeStream()
    }

    /// Starts a server with `responses`, runs `body`, then stops the server and every connection.
    static func with<Result: Sendable>(
        _ responses: [Response],
        _ body: (FakeOpenAIServer) async throws -> Result
    ) async throws -> Result {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
        let server = FakeOpenAIServer(port: listener.channel.localAddress?.port ?? 0, responses: responses)
        defer { server.eventSink.finish() }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await withDiscardingTaskGroup { connectionTasks in
                    try? await listener.executeThenClose { connections in
                        for try await connection in connections {
                            connectionTasks.addTask { await server.serve(connection) }
                        }
                    }
                }
            }
            // Cancelling the acceptor closes the listener and, through its child tasks, every connection.
            defer { group.cancelAll() }
            return try await body(server)
        }
    }

    /// Serves the requests of one connection until the client closes it (or a script says to disconnect).
    private func serve(_ connection: Connection) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let requestHead):
                    head = requestHead
                    body.clear()
                case .body(var bytes):
                    body.writeBuffer(&bytes)
                case .end:
                    guard let head else { continue }
                    eventSink.yield(.request(Request(
                        method: head.method,
                        path: head.uri,
                        headers: head.headers,
                        json: try? JSONValue.parse(String(buffer: body))
                    )))
                    let keepServing = try await respond(with: nextResponse(), to: outbound)
                    if !keepServing { return }
                }
            }
        }
        eventSink.yield(.connectionClosed)
    }

    private func nextResponse() -> Response {
        script.withLock { script in
            script.isEmpty
                ? .status(.imATeapot, body: #"{"error":{"message":"the fake server has no response scripted"}}"#)
                : script.removeFirst()
        }
    }

    /// Writes one response; false when the connection must close now.
    private func respond(with response: Response, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws -> Bool {
        switch response {
        case .silence:
            return true
        case .status(let status, let body, let extraHeaders):
            var headers = HTTPHeaders(extraHeaders)
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: "\(body.utf8.count)")
            try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)))
            try await outbound.write(.body(.byteBuffer(ByteBuffer(string: body))))
            try await outbound.write(.end(nil))
            return true
        case .stream(let pieces), .streamThenHold(let pieces), .streamThenDisconnect(let pieces):
            let headers = HTTPHeaders([("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")])
            try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)))
            for piece in pieces {
                try await outbound.write(.body(.byteBuffer(ByteBuffer(string: piece))))
            }
            switch response {
            case .stream: try await outbound.write(.end(nil)); return true
            case .streamThenDisconnect: return false
            default: return true  // hold: the caller keeps reading until the client goes away
            }
        }
    }
}

extension AsyncStream<FakeOpenAIServer.Event>.Iterator {
    /// The next request the server received, skipping connection events; nil if the server stopped.
    mutating func nextRequest() async -> FakeOpenAIServer.Request? {
        while let event = await next() {
            if case .request(let request) = event { return request }
        }
        return nil
    }

    /// Waits until a connection closes.
    mutating func nextConnectionClose() async -> Bool {
        while let event = await next() {
            if case .connectionClosed = event { return true }
        }
        return false
    }
}
