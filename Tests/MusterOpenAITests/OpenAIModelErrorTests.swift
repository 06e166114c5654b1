import Clocks
import MusterCore
import MusterTestSupport
import NIOHTTP1
import Testing
@testable import MusterOpenAI

@Suite("OpenAIModel turns HTTP and stream failures into clear errors", .timeLimit(.minutes(1)))
struct OpenAIModelErrorTests {
    private static let success: FakeOpenAIServer.Response = .stream([SSE.text("fine"), SSE.finish("stop"), SSE.done])

    @Test("401 and 403 fail at once as a refused key, with the server's message and the key redacted", arguments: [401, 403])
    func refusedKey(status: Int) async throws {
        let body = #"{"error":{"message":"Incorrect API key provided: \#(testKey)","type":"invalid_request_error"}}"#
        try await FakeOpenAIServer.with([.status(HTTPResponseStatus(statusCode: status), body: body)]) { server in
            try await withModel(server) { model in
                let outcome = await runTurn(model.streamTurn(turnRequest("Hi")))
                // A retry would have met the unscripted 418 and failed differently.
                #expect(outcome.modelError == .unauthorized(status: status, message: "Incorrect API key provided: <redacted>."))
                #expect(outcome.modelError?.description.contains("--api-key") == true)
                expectKeyNeverAppears(in: outcome.error)
            }
        }
    }

    @Test("404 fails at once as not found, naming the URL and the server's message")
    func notFound() async throws {
        let body = #"{"error":"model \"nope\" not found, try pulling it first"}"#
        try await FakeOpenAIServer.with([.status(.notFound, body: body)]) { server in
            try await withModel(server) { model in
                let outcome = await runTurn(model.streamTurn(turnRequest("Hi")))
                #expect(outcome.modelError == .notFound(
                    url: server.baseURL + "/chat/completions",
                    message: #"model "nope" not found, try pulling it first."#
                ))
                #expect(outcome.modelError?.description.contains("--model") == true)
                expectKeyNeverAppears(in: outcome.error)
            }
        }
    }

    @Test("429 with Retry-After is retried after exactly that many seconds, then the turn succeeds")
    func rateLimitedThenSuccess() async throws {
        let script: [FakeOpenAIServer.Response] = [
            .status(.tooManyRequests, body: #"{"error":{"message":"Slow down"}}"#, headers: [("Retry-After", "7")]),
            Self.success,
        ]
        try await FakeOpenAIServer.with(script) { server in
            let clock = ImmediateClock()
            try await withModel(server, clock: clock) { model in
                let start = clock.now
                let outcome = await runTurn(model.streamTurn(turnRequest("Hi")))
                #expect(outcome.error == nil)
                #expect(outcome.events == [.textDelta("fine"), .endOfTurn(Usage())])
                #expect(start.duration(to: clock.now) == .seconds(7))
            }
            var seen = server.events.makeAsyncIterator()
            let first = await seen.nextRequest()
            let second = await seen.nextRequest()
            #expect(first?.lastMessageContent == "Hi")
            #expect(second?.lastMessageContent == "Hi")
        }
    }

    @Test("500 three times fails the turn with the server's message after backing off 1 s and 2 s")
    func serverErrorThreeTimes() async throws {
        let failure: FakeOpenAIServer.Response = .status(
            .internalServerError, body: #"{"error":{"message":"The server had an error while processing your request."}}"#
        )
        try await FakeOpenAIServer.with([failure, failure, failure, Self.success]) { server in
            let clock = ImmediateClock()
            try await withModel(server, clock: clock) { model in
                let start = clock.now
                let outcome = await runTurn(model.streamTurn(turnRequest("Hi")))
                #expect(outcome.modelError == .serverError(
                    status: 500, message: "The server had an error while processing your request.", attempts: 3
                ))
                #expect(outcome.modelError?.description.contains("after 3 tries") == true)
                #expect(start.duration(to: clock.now) == .seconds(3))
                // The fourth scripted response is still there: there was no fourth try.
                let after = await runTurn(model.streamTurn(turnRequest("sentinel")))
                #expect(after.events.first == .textDelta("fine"))
            }
        }
    }

    @Test("A Retry-After longer than the longest backoff fails at once instead of waiting")
    func retryAfterTooLong() async throws {
        let script: [FakeOpenAIServer.Response] = [
            .status(.serviceUnavailable, body: "overloaded", headers: [("Retry-After", "3600")]),
            Self.success,
        ]
        try await FakeOpenAIServer.with(script) { server in
            let clock = ImmediateClock()
            try await withModel(server, clock: clock) { model in
                let start = clock.now
                let outcome = await runTurn(model.streamTurn(turnRequest("Hi")))
                #expect(outcome.modelError == .serverError(status: 503, message: "overloaded.", attempts: 1))
                #expect(start.duration(to: clock.now) == .zero)
            }
        }
    }

    @Test("Another 4xx fails at once with the server's message")
    func badRequest() async throws {
        let body = #"{"error":{"message":"This model's maximum context length is 8192 tokens"}}"#
        try await FakeOpenAIServer.with([.status(.badRequest, body: body), Self.success]) { server in
            try await withModel(server) { model in
                let outcome = await runTurn(model.streamTurn(turnRequest("Hi")))
                #expect(outcome.modelError == .requestRejected(
                    status: 400, message: "This model's maximum context length is 8192 tokens."
                ))
            }
        }
    }

    @Test("A chunk that is not JSON fails the turn as a malformed stream, after the text before it")
    func malformedChunk() async throws {
        let script: [FakeOpenAIServer.Response] = [
            .stream([SSE.text("ok so far"), "data: {\"choices\": [oops \(testKey)\n\n", SSE.done]),
        ]
        try await FakeOpenAIServer.with(script) { server in
            try await withModel(server) { model in
                let outcome = await runTurn(model.streamTurn(turnRequest("Hi")))
                #expect(outcome.events == [.textDelta("ok so far")])
                guard case .malformedStream(let detail) = outcome.modelError else {
                    Issue.record("expected a malformed stream, got \(String(describing: outcome.error))")
                    return
                }
                #expect(detail.contains("not valid JSON"))
                expectKeyNeverAppears(in: outcome.error)
            }
        }
    }

    @Test("A response that ends without [DONE] or a finish_reason fails the turn as truncated")
    func truncatedStream() async throws {
        try await FakeOpenAIServer.with([.stream([SSE.text("cut "), SSE.text("off")])]) { server in
            try await withModel(server) { model in
                let outcome = await runTurn(model.streamTurn(turnRequest("Hi")))
                #expect(outcome.events == [.textDelta("cut "), .textDelta("off")])
                #expect(outcome.modelError == .truncatedStream("the connection closed before [DONE] or a finish_reason."))
            }
        }
    }

    @Test("A connection the server drops in the middle of the body fails the turn as truncated")
    func droppedConnection() async throws {
        try await FakeOpenAIServer.with([.streamThenDisconnect([SSE.text("cut")])]) { server in
            try await withModel(server) { model in
                let outcome = await runTurn(model.streamTurn(turnRequest("Hi")))
                guard case .truncatedStream = outcome.modelError else {
                    Issue.record("expected a truncated stream, got \(String(describing: outcome.error))")
                    return
                }
                expectKeyNeverAppears(in: outcome.error)
            }
        }
    }

    @Test("An error object inside the stream fails the turn with its message")
    func errorInsideStream() async throws {
        let script: [FakeOpenAIServer.Response] = [
            .stream([SSE.text("a"), SSE.event(["error": ["message": "upstream provider failed"]])]),
        ]
        try await FakeOpenAIServer.with(script) { server in
            try await withModel(server) { model in
                let outcome = await runTurn(model.streamTurn(turnRequest("Hi")))
                #expect(outcome.events == [.textDelta("a")])
                #expect(outcome.modelError == .streamError("upstream provider failed"))
            }
        }
    }

    @Test("A server that goes silent mid-stream fails the turn with a read timeout")
    func readTimeout() async throws {
        try await FakeOpenAIServer.with([.streamThenHold([SSE.text("thinking")])]) { server in
            // NIO's read timer runs on real time; 5 s leaves room for a loaded machine to deliver
            // the first delta before the silence is timed (2 s was missed once under the thread
            // sanitizer with the whole suite running beside it on two cores).
            try await withModel(server, configure: { $0.readTimeout = .seconds(5) }) { model in
                let outcome = await runTurn(model.streamTurn(turnRequest("Hi")))
                #expect(outcome.events == [.textDelta("thinking")])
                #expect(outcome.modelError == .timedOut(.read, after: .seconds(5)))
            }
        }
    }

    @Test("A server that is not listening fails the turn as unreachable after three tries")
    func connectionRefused() async throws {
        // The port of a server that has just stopped: nothing listens there any more.
        let port = try await FakeOpenAIServer.with([]) { server in server.port }
        let clock = ImmediateClock()
        var configuration = OpenAIConfiguration(baseURL: "http://127.0.0.1:\(port)/v1", apiKey: APIKey(testKey), model: "m")
        configuration.connectTimeout = .seconds(5)
        let model = OpenAIModel(configuration: configuration, clock: clock)
        let start = clock.now
        let outcome = await runTurn(model.streamTurn(turnRequest("Hi")))
        await model.shutdown()
        guard case .connectionFailed(let message, let attempts) = outcome.modelError else {
            Issue.record("expected a connection failure, got \(String(describing: outcome.error))")
            return
        }
        #expect(attempts == 3)
        #expect(message == "Connection refused (http://127.0.0.1:\(port)/v1).")
        #expect(start.duration(to: clock.now) == .seconds(3))
        expectKeyNeverAppears(in: outcome.error)
    }

    @Test("A key echoed where an error body is cut is redacted before the cut, so no part of it shows")
    func keyAtTheCutOfAnErrorBody() async throws {
        // 490 characters, then the key: a cut at 500 before redacting left its first 10 characters.
        let body = String(repeating: "x", count: 490) + testKey + " tail"
        try await FakeOpenAIServer.with([.status(.badRequest, body: body)]) { server in
            try await withModel(server) { model in
                let outcome = await runTurn(model.streamTurn(turnRequest("Hi")))
                guard case .requestRejected(400, let message) = outcome.modelError else {
                    Issue.record("expected a rejected request, got \(String(describing: outcome.error))")
                    return
                }
                #expect(message == String(repeating: "x", count: 490) + "<redacted>...")
                expectKeyNeverAppears(in: outcome.error)
            }
        }
    }

    @Test("A key echoed where a malformed stream line is cut is redacted before the cut")
    func keyAtTheCutOfAMalformedLine() async throws {
        let line = "data: " + String(repeating: "y", count: 190) + testKey + "\n\n"
        try await FakeOpenAIServer.with([.stream([line])]) { server in
            try await withModel(server) { model in
                let outcome = await runTurn(model.streamTurn(turnRequest("Hi")))
                guard case .malformedStream(let detail) = outcome.modelError else {
                    Issue.record("expected a malformed stream, got \(String(describing: outcome.error))")
                    return
                }
                #expect(detail.hasSuffix(String(repeating: "y", count: 190) + "<redacted>"))
                expectKeyNeverAppears(in: outcome.error)
            }
        }
    }

    @Test("A run of 8 or more of the key's leading characters is redacted; a shorter run is ordinary text")
    func keyPrefixes() {
        let key = APIKey(testKey)
        #expect(key.redacting("a \(testKey.prefix(8)) b") == "a <redacted> b")
        #expect(key.redacting("a \(testKey.prefix(12))Z b") == "a <redacted>Z b")
        #expect(key.redacting("\(testKey)\(testKey)") == "<redacted><redacted>")
        #expect(key.redacting("a \(testKey.prefix(7)) b") == "a \(testKey.prefix(7)) b")
        #expect(key.redacting("sk-sk-test-SECRET") == "sk-<redacted>")
        #expect(APIKey("abc").redacting("xabcx ab") == "x<redacted>x ab")
    }

    @Test("A turn on a model that was shut down fails with a clear error instead of retrying")
    func afterShutdown() async {
        let clock = ImmediateClock()
        let model = OpenAIModel(
            configuration: OpenAIConfiguration(baseURL: "http://127.0.0.1:9/v1", apiKey: nil, model: "m"), clock: clock
        )
        await model.shutdown()
        await model.shutdown()  // a second call is harmless
        let start = clock.now
        let outcome = await runTurn(model.streamTurn(turnRequest("Hi")))
        #expect(outcome.modelError == .invalidRequest("the model was shut down; it cannot run more turns."))
        #expect(start.duration(to: clock.now) == .zero)
    }
}
