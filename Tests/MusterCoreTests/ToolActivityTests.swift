@testable import MusterCore
import MusterTestSupport
import Testing

/// The ACTIVITY column's words for a tool call, for every built-in tool.
@Suite("Tool activity text")
struct ToolActivityTests {
    @Test("every built-in tool says what it does with its arguments", arguments: [
        ("shell", ["command": "make test"], "shell: make test"),
        ("shell", ["command": "cd Sources\nmake test\n"], "shell: cd Sources …"),
        ("grep", ["pattern": "TODO|FIXME", "path": "Sources"], "grep: TODO|FIXME in Sources"),
        ("grep", ["pattern": "TODO", "path": "."], "grep: TODO"),
        ("grep", ["pattern": "TODO"], "grep: TODO"),
        ("read_file", ["path": "README.md", "offset": 10], "read: README.md"),
        ("list_files", ["path": "Sources", "max_depth": 2], "list: Sources"),
        ("list_files", [:], "list: ."),
        ("agent", ["name": "explore", "prompt": "look"], "agent: explore"),
        ("agent", ["name": "explore", "prompt": "look", "background": true], "agent: explore (background)"),
        ("wait_task", ["id": "#4"], "waiting for #4"),
        ("wait_task", ["id": 4], "waiting for #4"),
        ("wait_task", ["id": "4", "timeout_seconds": 10], "waiting for #4"),
        ("cancel_task", ["id": "7"], "stopping #7"),
        ("list_tasks", [:], "listing tasks"),
        ("some_mcp_tool", ["x": 1], "some_mcp_tool"),
    ] as [(String, JSONValue, String)])
    func builtInTools(tool: String, arguments: JSONValue, expected: String) {
        #expect(ToolActivity.text(tool: tool, arguments: arguments) == expected)
    }

    @Test("every built-in tool has words of its own, not just its name")
    func noToolFallsBack() {
        let tools = BuiltInTools.workspaceTools() + [AgentTool(), ListTasksTool(), WaitTaskTool(), CancelTaskTool()]
        for tool in tools {
            #expect(ToolActivity.text(tool: tool.spec.name, arguments: [:]) != tool.spec.name, "\(tool.spec.name)")
        }
    }

    @Test("an agent writing text says the start of it, cut to 60 characters", arguments: [
        ("Mapping the top two levels", #"writing: "Mapping the top two levels…""#),
        ("\n  Mapping the top two levels  \nof the tree", #"writing: "Mapping the top two levels…""#),
        (String(repeating: "word ", count: 20), "writing: \"" + String(repeating: "word ", count: 12).dropLast() + "…\""),
        (" \n ", nil),
    ] as [(String, String?)])
    func writing(text: String, expected: String?) {
        #expect(ToolActivity.writing(text) == expected)
    }

    @Test("a streaming text updates the activity a few times per turn, not once per delta")
    func writingUpdates() {
        var writing = WritingActivity()
        var text = ""
        var reported: [String] = []
        for word in String(repeating: "Mapping the top two levels of the tree ", count: 40).split(separator: " ") {
            text += word + " "
            if let activity = writing.update(with: text) { reported.append(activity) }
        }
        #expect(reported.first == #"writing: "Mapping…""#)
        #expect(reported.count <= 6)
        #expect(reported.last == ToolActivity.writing(text))
        #expect(writing.update(with: text + "more") == nil, "once whole, the start no longer changes")
    }

    @Test("a background agent streaming text shows it as its activity, outside its trail")
    func writingActivityOfAnAgent() async throws {
        let gate = Gate()
        let model = GatedTextModel(text: "Mapping the top two levels", gate: gate)
        let runtime = makeRuntime(model: model, tools: [])
        let events = runtime.events.subscribe()
        let id = try await runtime.startBackgroundAgent(name: "w", prompt: "map", spawner: .topLevel)
        var writing: TaskSnapshot?
        for await event in events {
            if case .task(.updated(let snapshot)) = event, snapshot.id == id,
               case .running(_, let activity?) = snapshot.status, activity.hasPrefix("writing:") {
                writing = snapshot
                break
            }
        }
        #expect(try #require(writing).status == .running(step: 1, activity: #"writing: "Mapping the top two levels…""#))
        gate.open()
        var finished: TaskSnapshot?
        for await event in events {
            if case .task(.finished(let snapshot)) = event, snapshot.id == id { finished = snapshot; break }
        }
        #expect(try #require(finished).trail == ["thinking"])
    }

    @Test("an agent waiting for its foreground sub-agent says which task it waits for")
    func waitingForSubAgent() async throws {
        let gate = Gate()
        let model = ClosureModel { agent, turn, _ in
            switch (agent, turn) {
            case ("outer", 0): [.call("agent", ["name": "inner", "prompt": "p", "background": false]), .end]
            case ("inner", 0): [.call("block"), .end]
            default: [.textDelta("done"), .end]
            }
        }
        let runtime = makeRuntime(model: model, tools: [BlockTool(latch: gate, completions: Tally())])
        let events = runtime.events.subscribe()
        let outer = try await runtime.startBackgroundAgent(name: "outer", prompt: "go", spawner: .topLevel)
        for await event in events {
            if case .toolProgress(let agent, _, "blocking", _) = event, agent.name == "inner" { break }
        }
        // The parent reports before it waits: once its wait is registered, the report is made.
        while await runtime.registry.suspendedWaits.machine == 0 { await Task.yield() }
        let waiting = try #require(await runtime.registry.snapshot(of: outer))
        #expect(waiting.status == .running(step: 1, activity: "waiting for #2 inner"))
        gate.open()
        for await event in events {
            if case .task(.finished(let snapshot)) = event, snapshot.id == outer {
                #expect(snapshot.status == .completed(summary: "done"))
                break
            }
        }
    }

    @Test("a batch says its first call and how many run with it")
    func batch() {
        let calls = [ToolCall(id: "1", name: "read_file", arguments: ["path": "a.txt"]), ToolCall(id: "2", name: "read_file", arguments: ["path": "b.txt"])]
        #expect(ToolActivity.text(of: calls) == "read: a.txt (+1 more)")
        #expect(ToolActivity.text(of: Array(calls.prefix(1))) == "read: a.txt")
    }

    @Test("a background agent reports its calls in these words: each is its activity in turn and joins its trail")
    func reportedActivity() async throws {
        let model = ClosureModel { agent, turn, _ in
            switch (agent, turn) {
            case ("w", 0): [.call("read_file", ["path": "no-such-file.txt"]), .end]
            default: [.textDelta("done"), .end]
            }
        }
        let runtime = makeRuntime(model: model, tools: [ReadFileTool()])
        let events = runtime.events.subscribe()
        let id = try await runtime.startBackgroundAgent(name: "w", prompt: "read", spawner: .topLevel)
        var finished: TaskSnapshot?
        // Updates coalesce on the bus; the trail keeps every activity the task reported.
        for await event in events {
            if case .task(.finished(let snapshot)) = event, snapshot.id == id { finished = snapshot; break }
        }
        #expect(try #require(finished).trail == ["thinking", "read: no-such-file.txt", "thinking"])
    }
}

/// Streams `text`, then waits at `gate` before ending its turn: an agent caught mid-answer.
private struct GatedTextModel: LanguageModel {
    let text: String
    let gate: Gate

    func streamTurn(_ request: ModelRequest) -> AsyncThrowingStream<ModelEvent, any Error> {
        let sent = Locked(0)
        return AsyncThrowingStream(unfolding: { [text, gate] in
            switch sent.withLock({ count -> Int in count += 1; return count }) {
            case 1: return .textDelta(text)
            case 2:
                try await gate.wait()
                return .endOfTurn(Usage(inputTokens: 1, outputTokens: 1))
            default: return nil
            }
        })
    }
}
