import Clocks
import Foundation
import Testing
@testable import MusterCore
@testable import MusterScripted

/// Every event of a stream, in order.
func collectScriptEvents(_ stream: AsyncThrowingStream<ModelEvent, any Error>) async throws -> [ModelEvent] {
    var events: [ModelEvent] = []
    for try await event in stream { events.append(event) }
    return events
}

/// The streamed text of a turn, reassembled.
func streamedText(_ events: [ModelEvent]) -> String {
    events.map { if case .textDelta(let text) = $0 { text } else { "" } }.joined()
}

/// The tool calls of a turn, in order.
func streamedToolCalls(_ events: [ModelEvent]) -> [ToolCall] {
    events.compactMap { if case .toolCall(let call) = $0 { call } else { nil } }
}

/// Plays one turn on an immediate clock.
func playTurn(_ model: ScriptedModel, agent: String = "main", _ messages: [ChatMessage]) async throws -> [ModelEvent] {
    try await collectScriptEvents(model.streamTurn(ModelRequest(agentName: agent, messages: messages, tools: [])))
}

/// A model for `text` on an immediate clock.
func scriptedModel(_ text: String, workspace: URL? = nil) throws -> ScriptedModel {
    ScriptedModel(script: try ScriptLoader.load(text: text, origin: "test.json"), clock: ImmediateClock(), workspace: workspace)
}

/// An assistant message that made `count` tool calls.
func assistantCalling(_ count: Int) -> ChatMessage {
    .assistant(text: "", toolCalls: (0..<count).map { ToolCall(id: "c\($0)", name: "list_files", arguments: [:]) })
}

@Suite("Scripted model: scenario choice, turn order, streaming, templates")
struct ScriptedModelTests {
    static let selectionScript = """
        {"version": 1, "agents": {
          "main": {"scenarios": [
            {"name": "help", "match": "HELP", "turns": [{"say": "help scenario"}]},
            {"name": "deploy", "match": "/^deploy\\\\s+(prod|staging)$/", "turns": [{"say": "deploy scenario"}]},
            {"name": "greeting", "match": "hello", "turns": [{"say": "first greeting"}]},
            {"name": "greeting again", "match": "hello there", "turns": [{"say": "second greeting"}]},
            {"name": "fallback", "turns": [{"say": "fallback scenario"}]}]},
          "explore": {"scenarios": [
            {"name": "todos", "match": "todo", "turns": [{"say": "explore todos"}]}]},
          "*": {"scenarios": [
            {"name": "anyone", "turns": [{"say": "wildcard for {{agent}}"}]}]}}}
        """

    @Test("a substring match ignores case", arguments: ["please help me", "HeLp", "HELP!"])
    func substringIgnoresCase(_ message: String) async throws {
        let events = try await playTurn(try scriptedModel(Self.selectionScript), [.user(message)])
        #expect(streamedText(events) == "help scenario")
    }

    @Test("a /regex/ match uses the regular expression, ignoring case",
          arguments: [("deploy staging", "deploy scenario"), ("Deploy  PROD", "deploy scenario"),
                      ("deploy production", "fallback scenario"), ("please deploy prod", "fallback scenario")])
    func regexMatch(_ message: String, _ expected: String) async throws {
        let events = try await playTurn(try scriptedModel(Self.selectionScript), [.user(message)])
        #expect(streamedText(events) == expected)
    }

    @Test("(?-i) inside a /regex/ makes it case-sensitive")
    func caseSensitiveRegex() throws {
        let match = Script.Match.regex("(?-i)^Deploy")
        #expect(match.matches("Deploy now"))
        #expect(!match.matches("deploy now"))
        #expect(Script.Match.regex("^deploy").matches("DEPLOY now"))
    }

    @Test("when several scenarios match, the first one in the script wins")
    func firstMatchWins() async throws {
        let events = try await playTurn(try scriptedModel(Self.selectionScript), [.user("hello there")])
        #expect(streamedText(events) == "first greeting")
    }

    @Test("a message no scenario matches plays the agent's fallback")
    func fallback() async throws {
        let events = try await playTurn(try scriptedModel(Self.selectionScript), [.user("what is this?")])
        #expect(streamedText(events) == "fallback scenario")
    }

    @Test("the latest user message decides, not an earlier one")
    func latestMessageDecides() async throws {
        let model = try scriptedModel(Self.selectionScript)
        let events = try await playTurn(model, [.user("help"), .assistant(text: "help scenario", toolCalls: []), .user("and now?")])
        #expect(streamedText(events) == "fallback scenario")
    }

    @Test("an agent without a fallback matches its prompt when the latest message fits nothing")
    func promptWhenNoFallback() async throws {
        let model = try scriptedModel(Self.selectionScript)
        let events = try await playTurn(model, agent: "explore", [
            .user("list the TODO notes"), .assistant(text: "explore todos", toolCalls: []),
            .user("<background-result id=\"4\">done</background-result>"),
        ])
        #expect(streamedText(events) == "explore todos")
    }

    @Test("the agent * serves agents the script does not name, and named agents that find nothing")
    func wildcardAgent() async throws {
        let model = try scriptedModel(Self.selectionScript)
        #expect(streamedText(try await playTurn(model, agent: "reviewer", [.user("review")])) == "wildcard for reviewer")
        #expect(streamedText(try await playTurn(model, agent: "explore", [.user("nothing relevant")])) == "wildcard for explore")
    }

    @Test("an agent the script has no scenario for gets a clear error from the stream")
    func unknownAgentFails() async throws {
        let model = try scriptedModel(#"{"version": 1, "agents": {"main": {"scenarios": [{"name": "a", "turns": [{"say": "x"}]}]}, "tree": {"scenarios": [{"name": "b", "match": "map", "turns": [{"say": "y"}]}]}}}"#)
        var received: [ModelEvent] = []
        do {
            for try await event in model.streamTurn(ModelRequest(agentName: "reviewer", messages: [.user("hi")], tools: [])) {
                received.append(event)
            }
            Issue.record("the stream finished without an error")
        } catch let error as ScriptedModel.NoScenarioError {
            #expect(error.agentName == "reviewer")
            #expect(error.description == #"test.json: no scenario for agent "reviewer" fits this conversation (the script defines agents "main", "tree"); add a scenario without "match" for it, or an agent "*""#)
        }
        #expect(received.isEmpty)
        // A named agent whose scenarios all fail to match fails the same way.
        await #expect(throws: ScriptedModel.NoScenarioError.self) {
            _ = try await playTurn(model, agent: "tree", [.user("hello")])
        }
    }

    static let stepsScript = """
        {"version": 1, "agents": {"main": {"scenarios": [
          {"name": "steps", "turns": [
            {"say": "step 0", "tools": [{"tool": "list_files"}, {"tool": "grep", "args": {"pattern": "x"}}]},
            {"say": "step 1", "tools": [{"tool": "read_file", "args": {"path": "a"}}]},
            {"say": "step 2"}]}]}}}
        """

    @Test("the turn is the number of assistant messages after the latest user message")
    func turnIndexFollowsToolResults() async throws {
        let model = try scriptedModel(Self.stepsScript)
        let first: [ChatMessage] = [.system("be brief"), .user("go")]
        #expect(streamedText(try await playTurn(model, first)) == "step 0")
        let second = first + [assistantCalling(2), .tool(callID: "c0", name: "list_files", content: "a"), .tool(callID: "c1", name: "grep", content: "b")]
        #expect(streamedText(try await playTurn(model, second)) == "step 1")
        let third = second + [assistantCalling(1), .tool(callID: "c0", name: "read_file", content: "c")]
        #expect(streamedText(try await playTurn(model, third)) == "step 2")
        // A new user message starts the scenario again.
        let restarted = third + [.assistant(text: "step 2", toolCalls: []), .user("again")]
        #expect(streamedText(try await playTurn(model, restarted)) == "step 0")
    }

    @Test("running past the last turn ends with a short final text")
    func pastLastTurn() async throws {
        let model = try scriptedModel(Self.stepsScript)
        let messages: [ChatMessage] = [.user("go"), assistantCalling(2), assistantCalling(1), .assistant(text: "step 2", toolCalls: [])]
        let events = try await playTurn(model, messages)
        #expect(streamedText(events) == #"(End of scenario "steps" in test.json: it has no more turns.)"#)
        #expect(streamedToolCalls(events).isEmpty)
        guard case .endOfTurn = events.last else { Issue.record("no end of turn: \(events)"); return }
    }

    @Test("a turn with tools streams its text, then every call, then the end of the turn")
    func toolTurnShape() async throws {
        let events = try await playTurn(try scriptedModel(Self.stepsScript), [.user("go")])
        let kinds = events.map { event -> String in
            switch event {
            case .textDelta: "text"
            case .toolCall(let call): call.name
            case .endOfTurn: "end"
            }
        }
        #expect(kinds == ["text", "list_files", "grep", "end"])
        let calls = streamedToolCalls(events)
        #expect(calls.map(\.arguments) == [[:], ["pattern": "x"]])
        #expect(calls[0].id.hasPrefix("main-t0-c0-"))
        #expect(calls[1].id.hasPrefix("main-t0-c1-"))
        #expect(calls[0].id.dropFirst("main-t0-c0-".count) == calls[1].id.dropFirst("main-t0-c1-".count))
        let final = try await playTurn(try scriptedModel(Self.stepsScript),
                                       [.user("go"), assistantCalling(2), assistantCalling(1)])
        #expect(streamedToolCalls(final).isEmpty)
    }

    @Test("call ids are unique across concurrent agents playing the same turn")
    func uniqueCallIDs() async throws {
        let model = try scriptedModel(Self.stepsScript)
        let ids = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<50 {
                group.addTask { streamedToolCalls(try await playTurn(model, [.user("go")])).map(\.id) }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(ids.count == 100)
        #expect(Set(ids).count == 100)
    }

    @Test("text deltas have chunk_chars characters each and reassemble to the said text")
    func chunking() async throws {
        let say = "Scripted text with émojis 👩‍👩‍👧 and combining e\u{301} characters, long enough for many chunks."
        let model = try scriptedModel(scriptWithTurns(#"[{"say": "\#(say)", "chunk_chars": 7}]"#))
        let deltas = try await playTurn(model, [.user("x")]).compactMap { if case .textDelta(let t) = $0 { t } else { nil } }
        #expect(deltas.joined() == say)
        #expect(deltas.dropLast().allSatisfy { $0.count == 7 })
        #expect(deltas.count == (say.count + 6) / 7)
    }

    @Test("template variables are filled in text and in nested string arguments")
    func templates() async throws {
        let model = try scriptedModel("""
            {"version": 1, "agents": {"main": {"scenarios": [{"name": "t", "turns": [
              {"say": "calling", "tools": [{"tool": "list_files"}, {"tool": "grep"}]},
              {"say": "in={{input}} prompt={{ prompt }} last={{last_tool_result}} all={{tool_results}} agent={{agent}} ws={{workspace}} {{not a variable}}",
               "tools": [{"tool": "agent", "args": {"name": "helper", "prompt": "Look at {{input}}", "nested": [{"deep": "{{last_tool_result}}!"}], "count": 3}}]}]}]}}}
            """, workspace: URL(fileURLWithPath: "/tmp/project"))
        let messages: [ChatMessage] = [
            .user("  the first prompt  "), .assistant(text: "ok", toolCalls: []), .user("second question\n"),
            assistantCalling(2), .tool(callID: "c0", name: "list_files", content: "one"), .tool(callID: "c1", name: "grep", content: " two \n"),
        ]
        let events = try await playTurn(model, messages)
        #expect(streamedText(events) == "in=second question prompt=the first prompt last=two all=one\ntwo agent=main ws=/tmp/project {{not a variable}}")
        #expect(streamedToolCalls(events).map(\.arguments) == [
            ["name": "helper", "prompt": "Look at second question", "nested": [["deep": "two!"]], "count": 3],
        ])
    }

    @Test("long messages are cut to about 200 characters in {{input}}, and the workspace defaults to .")
    func templateTrimming() async throws {
        let model = try scriptedModel(scriptWithTurns(#"[{"say": "[{{input}}] {{workspace}} [{{last_tool_result}}]", "chunk_chars": 1000}]"#))
        let long = String(repeating: "abcdefghij", count: 50)
        let text = streamedText(try await playTurn(model, [.user(long)]))
        #expect(text == "[" + String(long.prefix(199)) + "…] . []")
    }

    @Test("tool results are quoted without the shell's closing [exit status 0], but other statuses stay")
    func successStatusDropped() async throws {
        let model = try scriptedModel(#"""
            {"version": 1, "agents": {"main": {"scenarios": [{"name": "t", "turns": [
              {"tools": [{"tool": "shell"}, {"tool": "shell"}]},
              {"say": "[{{last_tool_result}}] [{{tool_results}}]", "chunk_chars": 1000}]}]}}}
            """#)
        let messages: [ChatMessage] = [
            .user("go"), assistantCalling(2),
            .tool(callID: "c0", name: "shell", content: "missing\n[exit status 2]"),
            .tool(callID: "c1", name: "shell", content: "Sources/Big.swift\n[exit status 0]\n"),
        ]
        #expect(streamedText(try await playTurn(model, messages)) == "[Sources/Big.swift] [missing\n[exit status 2]\nSources/Big.swift]")
    }

    @Test("a background result message fills the background_ variables")
    func backgroundVariables() async throws {
        let model = try scriptedModel(scriptWithTurns(#"[{"say": "{{background_name}}|{{background_task}}|{{background_status}}|{{background_duration}}|{{background_result}}", "chunk_chars": 1000}]"#))
        let message = BackgroundResultMessage.render(TaskResult(
            id: TaskID(7), name: "todos \"x\"", description: "Find <notes>", status: .completed(summary: "3 notes & 2 <hacks>"),
            duration: .milliseconds(1500), trail: ["grep TODO"]))
        #expect(streamedText(try await playTurn(model, [.user(message)])) == "todos \"x\"|#7|completed|1.5s|3 notes & 2 <hacks>")
        let failed = BackgroundResultMessage.render(TaskResult(
            id: TaskID(8), name: "tree", description: "Map", status: .failed(error: "boom"), duration: .seconds(2), trail: []))
        #expect(streamedText(try await playTurn(model, [.user(failed)])) == "tree|#8|failed|2.0s|boom")
        #expect(streamedText(try await playTurn(model, [.user("an ordinary message")])) == "||||")
    }

    @Test("usage is the script's when given, an estimate otherwise")
    func usage() async throws {
        let model = try scriptedModel(#"""
            {"version": 1, "agents": {"main": {"scenarios": [
              {"name": "given", "match": "given", "turns": [{"say": "hi", "usage": {"input": 120, "output": 40}}]},
              {"name": "half", "match": "half", "turns": [{"say": "hi", "usage": {"output": 7}}]},
              {"name": "estimated", "turns": [{"say": "twelve chars"}]}]}}}
            """#)
        #expect(try await playTurn(model, [.user("given")]).last == .endOfTurn(Usage(inputTokens: 120, outputTokens: 40)))
        #expect(try await playTurn(model, [.user("half")]).last == .endOfTurn(Usage(inputTokens: 1, outputTokens: 7)))
        let estimate = try await playTurn(model, [.user(String(repeating: "x", count: 400))]).last
        #expect(estimate == .endOfTurn(Usage(inputTokens: 100, outputTokens: 3)))
    }

    @Test("the plan pauses wait_ms before the first output and chunk_delay_ms between deltas")
    func plannedDelays() throws {
        let model = try scriptedModel(scriptWithTurns(#"[{"wait_ms": 500, "say": "abcdefgh", "chunk_chars": 3, "chunk_delay_ms": 40, "tools": [{"tool": "shell", "args": {"command": "ls"}}]}]"#))
        let steps = try model.plan(for: ModelRequest(agentName: "main", messages: [.user("x")], tools: []))
        #expect(steps.map(\.delay) == [.milliseconds(500), .milliseconds(40), .milliseconds(40), .zero, .zero])
        let toolsOnly = try scriptedModel(scriptWithTurns(#"[{"wait_ms": 300, "tools": [{"tool": "list_tasks"}, {"tool": "list_tasks"}]}]"#))
        let toolSteps = try toolsOnly.plan(for: ModelRequest(agentName: "main", messages: [.user("x")], tools: []))
        #expect(toolSteps.map(\.delay) == [.milliseconds(300), .zero, .zero])
    }

    @Test("a batch of background results gets the script's answer to each, in one turn, with the usage summed")
    func batchOfResults() async throws {
        let model = try scriptedModel(scriptWithTurns(#"[{"say": "{{background_name}} {{background_status}}", "chunk_chars": 1000, "usage": {"input": 10, "output": 2}}]"#))
        let results = [("tree", TaskStatus.completed(summary: "4 files")), ("todos", .failed(error: "boom")), ("big", .cancelled(by: .user))]
            .enumerated().map { index, item in
                ChatMessage.user(BackgroundResultMessage.render(TaskResult(
                    id: TaskID(index + 1), name: item.0, description: "p", status: item.1, duration: .seconds(1), trail: [])))
            }
        let events = try await playTurn(model, [.user("go"), .assistant(text: "launched", toolCalls: [])] + results)
        #expect(streamedText(events) == "tree completed\n\ntodos failed\n\nbig cancelled")
        #expect(events.last == .endOfTurn(Usage(inputTokens: 30, outputTokens: 6)))
        #expect(events.filter { if case .endOfTurn = $0 { true } else { false } }.count == 1)
    }
}
