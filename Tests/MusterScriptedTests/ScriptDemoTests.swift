import Clocks
import Foundation
import Testing
@testable import MusterCore
@testable import MusterScripted

/// One agent played from its prompt to its final answer, with made-up tool results.
struct PlayedAgent {
    var turns: [[ScriptedModel.Step]] = []
    var messages: [ChatMessage] = []

    var toolCalls: [ToolCall] { turns.flatMap { streamedToolCalls($0.map(\.event)) } }
    var texts: [String] { turns.map { streamedText($0.map(\.event)) } }
    var finalText: String { texts.last ?? "" }
    /// Total planned pause of all turns.
    var duration: Duration { turns.joined().reduce(.zero) { $0 + $1.delay } }

    /// Plays `agent` from `prompt`, answering each call with `result(call)`.
    init(_ model: ScriptedModel, agent: String, prompt: String,
         result: (ToolCall) -> String = { "output of \($0.name)" }) throws {
        messages = [.user(prompt)]
        for _ in 0..<20 {
            let steps = try model.plan(for: ModelRequest(agentName: agent, messages: messages, tools: []))
            turns.append(steps)
            let events = steps.map(\.event)
            let calls = streamedToolCalls(events)
            messages.append(.assistant(text: streamedText(events), toolCalls: calls))
            if calls.isEmpty { return }
            for call in calls { messages.append(.tool(callID: call.id, name: call.name, content: result(call))) }
        }
        Issue.record("agent \(agent) did not finish within 20 turns")
    }
}

@Suite("The bundled demo scripts: what `make run` shows")
struct ScriptDemoTests {
    static func bundled(_ name: String) throws -> ScriptedModel {
        let url = try ScriptLocator().locate(name)
        return ScriptedModel(script: try ScriptLoader.load(from: url, knownTools: ScriptLoader.builtInToolNames), clock: ImmediateClock())
    }

    static let subAgents = ["tree", "todos", "largest"]

    @Test("the demo's first answer launches exactly three background agents in one turn, whatever is asked",
          arguments: ["demo.json", "quick.json"], ["look around", "What is in this folder?", "go"])
    func firstPromptLaunchesThreeAgents(_ file: String, _ prompt: String) throws {
        let model = try Self.bundled(file)
        let main = try PlayedAgent(model, agent: "main", prompt: prompt, result: { "Started background agent \($0.arguments["name"]?.stringValue ?? "?")." })
        #expect(main.turns.count == 2)
        let launches = streamedToolCalls(main.turns[0].map(\.event))
        #expect(launches.count == 3)
        #expect(launches.allSatisfy { $0.name == "agent" && $0.arguments["background"] == true })
        #expect(launches.compactMap { $0.arguments["name"]?.stringValue } == Self.subAgents)
        #expect(launches.allSatisfy { ($0.arguments["prompt"]?.stringValue ?? "").count > 40 })
        #expect(!main.texts[0].isEmpty)
        // The foreground answer while they run points at /tasks.
        #expect(main.finalText.contains("/tasks stop <id>"))
        #expect(main.toolCalls.count == 3)
    }

    @Test("each demo sub-agent works for 20 to 60 seconds with real tools and ends with a summary of its last result",
          arguments: subAgents)
    func subAgentsTakeTheirTime(_ agent: String) throws {
        let model = try Self.bundled("demo.json")
        let played = try PlayedAgent(model, agent: agent, prompt: "survey", result: { "RESULT(\($0.name))" })
        #expect(played.duration >= .seconds(20) && played.duration <= .seconds(60), "\(agent) takes \(played.duration)")
        #expect(played.turns.count >= 3)
        #expect(played.toolCalls.allSatisfy { ScriptLoader.builtInToolNames.contains($0.name) })
        #expect(played.texts.dropLast().allSatisfy { !$0.isEmpty }, "every step says what it is doing")
        #expect(played.finalText.contains("RESULT("))
        #expect(!played.texts.joined().contains("{{"))
    }

    @Test("the quick script tells the same story in well under two seconds per agent", arguments: subAgents)
    func quickSubAgents(_ agent: String) throws {
        let played = try PlayedAgent(try Self.bundled("quick.json"), agent: agent, prompt: "survey")
        #expect(played.duration < .seconds(2))
        #expect(played.toolCalls.map(\.name) == (try PlayedAgent(try Self.bundled("demo.json"), agent: agent, prompt: "survey")).toolCalls.map(\.name))
    }

    @Test("the largest-file agent opens the file its shell step found")
    func largestReadsFoundFile() throws {
        // The shell tool closes its output with the exit status; scripts see the output alone.
        let played = try PlayedAgent(try Self.bundled("demo.json"), agent: "largest", prompt: "survey") { call in
            call.name == "shell" ? "Sources/Big.swift\n[exit status 0]" : "text"
        }
        let reads = played.toolCalls.filter { $0.name == "read_file" }
        #expect(reads.count == 1)
        #expect(reads.first?.arguments["path"] == "Sources/Big.swift")
    }

    static func backgroundResult(_ status: TaskStatus, stillRunning: Int? = nil) -> String {
        BackgroundResultMessage.render(TaskResult(
            id: TaskID(2), name: "tree", description: "Map the directory tree of this workspace.", status: status,
            duration: .seconds(25), trail: ["list_files {\"path\": \".\"}", "shell find . | wc -l"]), stillRunning: stillRunning)
    }

    @Test("the demo says how many agents started and quotes a refusal, from the tool results", arguments: ["demo.json", "quick.json"])
    func launchAnswerSpeaksFromResults(_ file: String) throws {
        let model = try Self.bundled(file)
        let refusal = TaskRegistry.StartRefusal.capReached(limit: 2).description
        let main = try PlayedAgent(model, agent: "main", prompt: "look around", result: { call in
            call.arguments["name"]?.stringValue == "largest" ? "Error: \(refusal)" : "Background agent started."
        })
        #expect(main.finalText.hasPrefix("Started in the background: 2 of 3."))
        #expect(main.finalText.hasSuffix("\n" + refusal))
        #expect(!main.finalText.contains("All three"))
        let all = try PlayedAgent(model, agent: "main", prompt: "look around", result: { _ in "Background agent started." })
        #expect(all.finalText.hasPrefix("Started in the background: 3 of 3."))
    }

    @Test("a stopped, failed or finished agent's answer says how many still run, from the result, not by assumption")
    func resultAnswersCountWhatRuns() throws {
        let model = try Self.bundled("demo.json")
        let stopped = try PlayedAgent(model, agent: "main", prompt: Self.backgroundResult(.cancelled(by: .user), stillRunning: 0))
        #expect(stopped.finalText.contains("Background agents still running: 0"))
        #expect(!stopped.finalText.contains("carries on"))
        let failed = try PlayedAgent(model, agent: "main", prompt: Self.backgroundResult(.failed(error: "boom"), stillRunning: 2))
        #expect(failed.finalText.contains("Background agents still running: 2"))
        let done = try PlayedAgent(model, agent: "main", prompt: Self.backgroundResult(.completed(summary: "ok"), stillRunning: 1))
        #expect(done.finalText.contains("Background agents still running: 1."))
    }

    @Test("a background result reaching the main agent is summarised, quoting its report")
    func backgroundResult() throws {
        let model = try Self.bundled("demo.json")
        let main = try PlayedAgent(model, agent: "main", prompt: Self.backgroundResult(.completed(summary: "Tree survey finished.\nfiles: 37 <all>")))
        #expect(main.turns.count == 1)
        #expect(main.toolCalls.isEmpty)
        #expect(main.finalText.hasPrefix("tree (#2) is back after 25.0s. Its report:\n\nTree survey finished.\nfiles: 37 <all>\n\n"))
    }

    @Test("a stopped or failed background agent is reported as such")
    func backgroundFailures() throws {
        let model = try Self.bundled("demo.json")
        let stopped = try PlayedAgent(model, agent: "main", prompt: Self.backgroundResult(.cancelled(by: .user)))
        #expect(stopped.finalText.hasPrefix("tree (#2) was stopped after 25.0s, so there is no report from it."))
        let failed = try PlayedAgent(model, agent: "main", prompt: Self.backgroundResult(.failed(error: "step limit reached")))
        #expect(failed.finalText.hasPrefix("tree (#2) failed after 25.0s: step limit reached"))
    }

    @Test("asking for help explains Muster without calling tools", arguments: ["help", "What can you do?"])
    func help(_ prompt: String) throws {
        let main = try PlayedAgent(try Self.bundled("demo.json"), agent: "main", prompt: prompt)
        #expect(main.toolCalls.isEmpty)
        #expect(main.finalText.contains("/tasks"))
        #expect(main.finalText.contains("Esc or Ctrl-C"))
    }

    @Test("asking for something slow runs sleep 30 in the foreground, to show cancelling", arguments: ["something slow please", "sleep"])
    func slow(_ prompt: String) throws {
        let main = try PlayedAgent(try Self.bundled("demo.json"), agent: "main", prompt: prompt)
        let calls = main.toolCalls
        #expect(calls.count == 1)
        #expect(calls.first?.name == "shell")
        #expect(calls.first?.arguments["command"]?.stringValue?.hasPrefix("sleep 30") == true)
        #expect(calls.first?.arguments["background"] == nil)
        #expect(main.texts[0].contains("Esc or Ctrl-C"))
    }

    @Test("asking for the status lists the tasks")
    func status() throws {
        let main = try PlayedAgent(try Self.bundled("demo.json"), agent: "main", prompt: "status?") { _ in "#2 tree running 12s" }
        #expect(main.toolCalls.map(\.name) == ["list_tasks"])
        #expect(main.finalText.contains("#2 tree running 12s"))
    }

    @Test("a later message that matches nothing starts the survey, even after help")
    func laterMessagesSurvey() throws {
        let model = try Self.bundled("demo.json")
        let messages: [ChatMessage] = [.user("help"), .assistant(text: "…", toolCalls: []), .user("ok, look around then")]
        let steps = try model.plan(for: ModelRequest(agentName: "main", messages: messages, tools: []))
        #expect(streamedToolCalls(steps.map(\.event)).count == 3)
    }

    @Test("an agent the demo does not name still gets a short scripted answer")
    func otherAgents() throws {
        let played = try PlayedAgent(try Self.bundled("demo.json"), agent: "reviewer", prompt: "check the README")
        #expect(played.toolCalls.map(\.name) == ["list_files"])
        #expect(played.texts[0].contains("check the README"))
    }
}
