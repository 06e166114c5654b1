import Clocks
import MusterCore
import MusterTestSupport
import Testing
@testable import MusterOpenAI

@Suite("OpenAIModel streams turns from a real HTTP server", .timeLimit(.minutes(1)))
struct OpenAIModelStreamingTests {
    @Test("A text turn streams its deltas in order, then ends with the usage from the stream")
    func textTurn() async throws {
        let script: [FakeOpenAIServer.Response] = [
            .stream([SSE.text("Hel"), SSE.text("lo, "), SSE.text("world"), SSE.finish("stop"),
                     SSE.usage(prompt: 12, completion: 3), SSE.done]),
        ]
        try await FakeOpenAIServer.with(script) { server in
            try await withModel(server) { model in
                let outcome = await runTurn(model.streamTurn(turnRequest("Say hello")))
                #expect(outcome.error == nil)
                #expect(outcome.events == [
                    .textDelta("Hel"), .textDelta("lo, "), .textDelta("world"),
                    .endOfTurn(Usage(inputTokens: 12, outputTokens: 3)),
                ])
            }
            var seen = server.events.makeAsyncIterator()
            let request = try #require(await seen.nextRequest())
            #expect(request.method == .POST)
            #expect(request.path == "/v1/chat/completions")
            #expect(request.headers.first(name: "authorization") == "Bearer \(testKey)")
            #expect(request.headers.first(name: "content-type") == "application/json")
            #expect(request.json?["model"] == "test-model")
            #expect(request.json?["stream"] == true)
            #expect(request.json?["stream_options"] == ["include_usage": true])
            #expect(request.json?["tools"] == nil)
        }
    }

    @Test("Two tool calls streamed interleaved by index are assembled into whole calls in index order")
    func parallelToolCalls() async throws {
        let script: [FakeOpenAIServer.Response] = [
            .stream([
                SSE.text("Let me look."),
                SSE.toolCall(index: 0, id: "call_a", name: "read_file", arguments: ""),
                SSE.toolCall(index: 1, id: "call_b", name: "list_directory", arguments: #"{"pa"#),
                SSE.toolCall(index: 0, arguments: #"{"path": "#),
                SSE.toolCall(index: 1, arguments: #"th": "src", "#),
                SSE.toolCall(index: 0, arguments: #""notes/a.txt"}"#),
                SSE.toolCall(index: 1, arguments: #""depth": 2}"#),
                SSE.finish("tool_calls"),
                SSE.usage(prompt: 40, completion: 25),
                SSE.done,
            ]),
        ]
        try await FakeOpenAIServer.with(script) { server in
            try await withModel(server) { model in
                let outcome = await runTurn(model.streamTurn(turnRequest("Look around")))
                #expect(outcome.error == nil)
                #expect(outcome.events == [
                    .textDelta("Let me look."),
                    .toolCall(ToolCall(id: "call_a", name: "read_file", arguments: ["path": "notes/a.txt"])),
                    .toolCall(ToolCall(id: "call_b", name: "list_directory", arguments: ["path": "src", "depth": 2])),
                    .endOfTurn(Usage(inputTokens: 40, outputTokens: 25)),
                ])
            }
        }
    }

    @Test("Tool arguments that are not a JSON object arrive under _raw, and empty arguments as {}")
    func unparseableArguments() async throws {
        let script: [FakeOpenAIServer.Response] = [
            .stream([
                SSE.toolCall(index: 0, id: "call_a", name: "read_file", arguments: #"{"path": "a.txt""#),
                SSE.toolCall(index: 1, id: "call_b", name: "list_tasks", arguments: ""),
                SSE.finish("tool_calls"),
                SSE.done,
            ]),
        ]
        try await FakeOpenAIServer.with(script) { server in
            try await withModel(server) { model in
                let outcome = await runTurn(model.streamTurn(turnRequest("Go")))
                #expect(outcome.events == [
                    .toolCall(ToolCall(id: "call_a", name: "read_file", arguments: ["_raw": #"{"path": "a.txt""#])),
                    .toolCall(ToolCall(id: "call_b", name: "list_tasks", arguments: [:])),
                    .endOfTurn(Usage()),
                ])
            }
        }
    }

    @Test("The request offers the tools as functions and sends tool calls and tool results in wire format")
    func requestBody() async throws {
        let schema: JSONValue = [
            "type": "object", "properties": ["path": ["type": "string"]], "required": ["path"],
        ]
        let request = ModelRequest(
            agentName: "main",
            messages: [
                .system("You are terse."),
                .user("Read two files"),
                .assistant(text: "", toolCalls: [
                    ToolCall(id: "call_a", name: "read_file", arguments: ["path": "a.txt"]),
                    ToolCall(id: "call_b", name: "read_file", arguments: ["path": "b.txt"]),
                ]),
                .tool(callID: "call_a", name: "read_file", content: "alpha"),
                .tool(callID: "call_b", name: "read_file", content: "beta"),
                .assistant(text: "Both read.", toolCalls: []),
            ],
            tools: [ToolSpec(name: "read_file", description: "Reads a text file.", parameters: schema)]
        )
        try await FakeOpenAIServer.with([.stream([SSE.text("ok"), SSE.finish("stop"), SSE.done])]) { server in
            try await withModel(server) { model in
                _ = await runTurn(model.streamTurn(request))
            }
            var seen = server.events.makeAsyncIterator()
            let json = try #require(await seen.nextRequest()?.json)
            #expect(json["tools"] == [[
                "type": "function",
                "function": ["name": "read_file", "description": "Reads a text file.", "parameters": schema],
            ]])
            #expect(json["messages"] == [
                ["role": "system", "content": "You are terse."],
                ["role": "user", "content": "Read two files"],
                [
                    "role": "assistant", "content": nil,
                    "tool_calls": [
                        ["id": "call_a", "type": "function",
                         "function": ["name": "read_file", "arguments": #"{"path":"a.txt"}"#]],
                        ["id": "call_b", "type": "function",
                         "function": ["name": "read_file", "arguments": #"{"path":"b.txt"}"#]],
                    ],
                ],
                ["role": "tool", "tool_call_id": "call_a", "content": "alpha"],
                ["role": "tool", "tool_call_id": "call_b", "content": "beta"],
                ["role": "assistant", "content": "Both read."],
            ])
        }
    }

    @Test("Cancelling the consumer mid-stream closes the connection, and no later request arrives")
    func cancellationMidStream() async throws {
        let script: [FakeOpenAIServer.Response] = [
            .streamThenHold([SSE.text("partial")]),
            .stream([SSE.text("after"), SSE.finish("stop"), SSE.done]),
        ]
        try await FakeOpenAIServer.with(script) { server in
            try await withModel(server) { model in
                var seen = server.events.makeAsyncIterator()
                let (deltas, deltaSink) = AsyncStream<ModelEvent>.makeStream()
                let consumer = Task {
                    var events: [ModelEvent] = []
                    for try await event in model.streamTurn(turnRequest("first")) {
                        events.append(event)
                        deltaSink.yield(event)
                    }
                    return events
                }
                // The delta arrives while the server still holds the response open: it was streamed.
                var deltaIterator = deltas.makeAsyncIterator()
                let firstDelta = await deltaIterator.next()
                #expect(firstDelta == .textDelta("partial"))
                let first = await seen.nextRequest()
                #expect(first?.lastMessageContent == "first")

                consumer.cancel()
                let closed = await seen.nextConnectionClose()
                #expect(closed)
                switch await consumer.result {
                case .success(let events): #expect(events == [.textDelta("partial")])
                case .failure(let error): #expect(error is CancellationError)
                }

                // The next request the server sees is this one: the cancelled turn sent nothing more.
                let after = await runTurn(model.streamTurn(turnRequest("sentinel")))
                #expect(after.events.first == .textDelta("after"))
                let next = await seen.nextRequest()
                #expect(next?.lastMessageContent == "sentinel")
            }
        }
    }

    @Test("Cancelling the consumer while it waits for the response head closes the connection")
    func cancellationBeforeResponse() async throws {
        try await FakeOpenAIServer.with([.silence]) { server in
            try await withModel(server) { model in
                var seen = server.events.makeAsyncIterator()
                let consumer = Task { await runTurn(model.streamTurn(turnRequest("waiting"))) }
                let request = await seen.nextRequest()
                #expect(request?.lastMessageContent == "waiting")
                consumer.cancel()
                let closed = await seen.nextConnectionClose()
                #expect(closed)
                let outcome = await consumer.value
                #expect(outcome.events.isEmpty)
                #expect(outcome.error == nil || outcome.error is CancellationError)
            }
        }
    }

    @Test("Twelve turns stream at the same time, each on its own connection")
    func manyConcurrentTurns() async throws {
        let count = 12
        let script = Array(repeating: FakeOpenAIServer.Response.streamThenHold([SSE.text("working")]), count: count)
        try await FakeOpenAIServer.with(script) { server in
            try await withModel(server) { model in
                var seen = server.events.makeAsyncIterator()
                await withDiscardingTaskGroup { group in
                    for index in 0..<count {
                        group.addTask { _ = await runTurn(model.streamTurn(turnRequest("turn \(index)"))) }
                    }
                    // A pool that queued some turns behind others would never deliver all of them here.
                    var prompts: Set<String> = []
                    while prompts.count < count, let request = await seen.nextRequest() {
                        prompts.insert(request.lastMessageContent ?? "")
                    }
                    #expect(prompts == Set((0..<count).map { "turn \($0)" }))
                    group.cancelAll()
                }
            }
        }
    }

    @Test("A turn consumed by an already-cancelled task sends no request")
    func alreadyCancelled() async throws {
        try await FakeOpenAIServer.with([.stream([SSE.text("sentinel reply"), SSE.finish("stop"), SSE.done])]) { server in
            try await withModel(server) { model in
                let consumer = Task {
                    withUnsafeCurrentTask { $0?.cancel() }
                    return await runTurn(model.streamTurn(turnRequest("cancelled")))
                }
                let cancelled = await consumer.value
                #expect(cancelled.events.isEmpty)

                let after = await runTurn(model.streamTurn(turnRequest("sentinel")))
                #expect(after.events.first == .textDelta("sentinel reply"))
                var seen = server.events.makeAsyncIterator()
                let next = await seen.nextRequest()
                #expect(next?.lastMessageContent == "sentinel")
            }
        }
    }

    @Test("A stream that ends after a finish_reason but without [DONE] is still a whole turn")
    func finishWithoutDone() async throws {
        try await FakeOpenAIServer.with([.stream([SSE.text("short"), SSE.finish("stop")])]) { server in
            try await withModel(server) { model in
                let outcome = await runTurn(model.streamTurn(turnRequest("Hi")))
                #expect(outcome.error == nil)
                #expect(outcome.events == [.textDelta("short"), .endOfTurn(Usage())])
            }
        }
    }

    @Test("One model streams two turns in a row")
    func consecutiveTurns() async throws {
        let script: [FakeOpenAIServer.Response] = [
            .stream([SSE.text("one"), SSE.finish("stop"), SSE.done]),
            .stream([SSE.text("two"), SSE.finish("stop"), SSE.done]),
        ]
        try await FakeOpenAIServer.with(script) { server in
            try await withModel(server) { model in
                #expect(await runTurn(model.streamTurn(turnRequest("1"))).events.first == .textDelta("one"))
                #expect(await runTurn(model.streamTurn(turnRequest("2"))).events.first == .textDelta("two"))
            }
        }
    }
}
