import Foundation
import Testing
import MusterCore
@testable import MusterScripted

/// The message a script load fails with, or nil when it loads.
func scriptLoadError(_ text: String, knownTools: Set<String> = ScriptLoader.builtInToolNames) -> String? {
    do {
        _ = try ScriptLoader.load(text: text, origin: "demo.json", knownTools: knownTools)
        return nil
    } catch {
        return error.description
    }
}

/// A whole script around one list of turns of `main`'s only scenario.
func scriptWithTurns(_ turns: String) -> String {
    #"{"version": 1, "agents": {"main": {"scenarios": [{"name": "demo", "turns": \#(turns)}]}}}"#
}

@Suite("Script loading: every mistake gives one message with the file, the place and what was expected")
struct ScriptLoaderTests {
    /// One mistaken script and the exact message it must give.
    struct Mistake: CustomTestStringConvertible, Sendable {
        let label: String
        let script: String
        let message: String
        var testDescription: String { label }
    }

    static let mistakes: [Mistake] = [
        Mistake(
            label: "unknown tool",
            script: scriptWithTurns(#"[{"say": "a", "tools": [{"tool": "grep"}]}, {"say": "b"}, {"tools": [{"tool": "lst_files", "args": {"path": "."}}]}]"#),
            message: #"demo.json: agents.main.scenarios[0].turns[2].tools[0].tool: unknown tool "lst_files"; expected one of: agent, cancel_task, grep, list_files, list_tasks, read_file, shell, wait_task (did you mean "list_files"?)"#
        ),
        Mistake(
            label: "misspelt key in a turn",
            script: scriptWithTurns(#"[{"sya": "hello"}]"#),
            message: #"demo.json: agents.main.scenarios[0].turns[0]: unknown key "sya"; expected one of: chunk_chars, chunk_delay_ms, say, tools, usage, wait_ms (did you mean "say"?)"#
        ),
        Mistake(
            label: "unknown key at the top level, with no likely intent",
            script: #"{"version": 1, "zebra": true, "agents": {}}"#,
            message: #"demo.json: top level: unknown key "zebra"; expected one of: agents, approvals, description, version"#
        ),
        Mistake(
            label: "unsupported version",
            script: #"{"version": 2, "agents": {}}"#,
            message: "demo.json: version: unsupported version 2; expected 1"
        ),
        Mistake(
            label: "version of the wrong type",
            script: #"{"version": "1", "agents": {}}"#,
            message: #"demo.json: version: expected the number 1, found the string "1""#
        ),
        Mistake(
            label: "missing version",
            script: #"{"agents": {}}"#,
            message: #"demo.json: top level: missing field "version"; expected "version": 1"#
        ),
        Mistake(
            label: "document that is not an object",
            script: "[1, 2]",
            message: #"demo.json: top level: expected an object with "version" and "agents", found an array"#
        ),
        Mistake(
            label: "missing agents",
            script: #"{"version": 1}"#,
            message: #"demo.json: top level: missing field "agents"; expected an object mapping agent names to their scenarios"#
        ),
        Mistake(
            label: "no agents",
            script: #"{"version": 1, "agents": {}}"#,
            message: #"demo.json: agents: no agents; expected at least one agent, e.g. "main""#
        ),
        Mistake(
            label: "agent with an empty scenario list",
            script: #"{"version": 1, "agents": {"main": {"scenarios": []}}}"#,
            message: "demo.json: agents.main.scenarios: no scenarios; expected at least one scenario"
        ),
        Mistake(
            label: "agent without scenarios",
            script: #"{"version": 1, "agents": {"explore": {}}}"#,
            message: #"demo.json: agents.explore: missing field "scenarios"; expected an array of scenarios"#
        ),
        Mistake(
            label: "wildcard agent path is quoted",
            script: #"{"version": 1, "agents": {"*": {"scenarios": [{"name": "any", "turns": "none"}]}}}"#,
            message: #"demo.json: agents["*"].scenarios[0].turns: expected an array of turns, found the string "none""#
        ),
        Mistake(
            label: "scenario without turns",
            script: #"{"version": 1, "agents": {"main": {"scenarios": [{"name": "demo"}]}}}"#,
            message: #"demo.json: agents.main.scenarios[0]: missing field "turns"; expected an array of turns"#
        ),
        Mistake(
            label: "scenario without a name",
            script: #"{"version": 1, "agents": {"main": {"scenarios": [{"turns": [{"say": "hi"}]}]}}}"#,
            message: #"demo.json: agents.main.scenarios[0]: missing field "name"; expected a string naming the scenario"#
        ),
        Mistake(
            label: "scenario with no turns",
            script: scriptWithTurns("[]"),
            message: "demo.json: agents.main.scenarios[0].turns: no turns; expected at least one turn"
        ),
        Mistake(
            label: "say of the wrong type",
            script: scriptWithTurns(#"[{"say": "fine"}, {"say": 5}]"#),
            message: "demo.json: agents.main.scenarios[0].turns[1].say: expected a string, found 5"
        ),
        Mistake(
            label: "negative wait",
            script: scriptWithTurns(#"[{"say": "hi", "wait_ms": -5}]"#),
            message: "demo.json: agents.main.scenarios[0].turns[0].wait_ms: expected a whole number of milliseconds, 0 or more; found -5"
        ),
        Mistake(
            label: "negative chunk delay",
            script: scriptWithTurns(#"[{"say": "hi", "chunk_delay_ms": -1}]"#),
            message: "demo.json: agents.main.scenarios[0].turns[0].chunk_delay_ms: expected a whole number of milliseconds, 0 or more; found -1"
        ),
        Mistake(
            label: "fractional wait",
            script: scriptWithTurns(#"[{"say": "hi", "wait_ms": 1.5}]"#),
            message: "demo.json: agents.main.scenarios[0].turns[0].wait_ms: expected a whole number of milliseconds, 0 or more; found 1.5"
        ),
        Mistake(
            label: "chunks of no characters",
            script: scriptWithTurns(#"[{"say": "hi", "chunk_chars": 0}]"#),
            message: "demo.json: agents.main.scenarios[0].turns[0].chunk_chars: expected a whole number of characters, 1 or more; found 0"
        ),
        Mistake(
            label: "empty turn",
            script: scriptWithTurns(#"[{"wait_ms": 10}]"#),
            message: #"demo.json: agents.main.scenarios[0].turns[0]: the turn neither says anything nor calls a tool; expected "say", "tools" or both"#
        ),
        Mistake(
            label: "empty tool list",
            script: scriptWithTurns(#"[{"say": "hi", "tools": []}]"#),
            message: #"demo.json: agents.main.scenarios[0].turns[0].tools: an empty list of tools; expected at least one tool call, or leave "tools" out for a final answer"#
        ),
        Mistake(
            label: "tool call without a tool",
            script: scriptWithTurns(#"[{"tools": [{"args": {}}]}]"#),
            message: #"demo.json: agents.main.scenarios[0].turns[0].tools[0]: missing field "tool"; expected one of: agent, cancel_task, grep, list_files, list_tasks, read_file, shell, wait_task"#
        ),
        Mistake(
            label: "arguments that are not an object",
            script: scriptWithTurns(#"[{"tools": [{"tool": "shell", "args": "ls"}]}]"#),
            message: #"demo.json: agents.main.scenarios[0].turns[0].tools[0].args: expected an object of arguments, found the string "ls""#
        ),
        Mistake(
            label: "misspelt key in a tool call",
            script: scriptWithTurns(#"[{"tools": [{"tool": "shell", "arg": {}}]}]"#),
            message: #"demo.json: agents.main.scenarios[0].turns[0].tools[0]: unknown key "arg"; expected one of: args, tool (did you mean "args"?)"#
        ),
        Mistake(
            label: "negative usage",
            script: scriptWithTurns(#"[{"say": "hi", "usage": {"input": 3, "output": -2}}]"#),
            message: "demo.json: agents.main.scenarios[0].turns[0].usage.output: expected a whole number of tokens, 0 or more; found -2"
        ),
        Mistake(
            label: "unknown template variable in text",
            script: scriptWithTurns(#"[{"say": "You said {{inptu}}"}]"#),
            message: #"demo.json: agents.main.scenarios[0].turns[0].say: unknown template variable {{inptu}}; expected one of: {{agent}}, {{background_duration}}, {{background_name}}, {{background_result}}, {{background_status}}, {{background_still_running}}, {{background_task}}, {{input}}, {{last_tool_result}}, {{prompt}}, {{tool_errors}}, {{tool_ok_count}}, {{tool_results}}, {{workspace}} (did you mean "input"?)"#
        ),
        Mistake(
            label: "unknown template variable deep in arguments",
            script: scriptWithTurns(#"[{"tools": [{"tool": "agent", "args": {"name": "x", "options": [{"note": "{{colour}}"}]}}]}]"#),
            message: #"demo.json: agents.main.scenarios[0].turns[0].tools[0].args.options[0].note: unknown template variable {{colour}}; expected one of: {{agent}}, {{background_duration}}, {{background_name}}, {{background_result}}, {{background_status}}, {{background_still_running}}, {{background_task}}, {{input}}, {{last_tool_result}}, {{prompt}}, {{tool_errors}}, {{tool_ok_count}}, {{tool_results}}, {{workspace}}"#
        ),
        Mistake(
            label: "match of the wrong type",
            script: #"{"version": 1, "agents": {"main": {"scenarios": [{"name": "x", "match": 3, "turns": [{"say": "hi"}]}]}}}"#,
            message: #"demo.json: agents.main.scenarios[0].match: expected a case-insensitive substring, or a regular expression between slashes like "/^(hi|hello)\\b/", found 3"#
        ),
        Mistake(
            label: "empty match",
            script: #"{"version": 1, "agents": {"main": {"scenarios": [{"name": "x", "match": "", "turns": [{"say": "hi"}]}]}}}"#,
            message: #"demo.json: agents.main.scenarios[0].match: an empty match would fit every message; leave "match" out to make a fallback scenario, or expected a case-insensitive substring, or a regular expression between slashes like "/^(hi|hello)\\b/""#
        ),
        Mistake(
            label: "two fallback scenarios",
            script: #"{"version": 1, "agents": {"main": {"scenarios": [{"name": "first", "turns": [{"say": "a"}]}, {"name": "hi", "match": "hi", "turns": [{"say": "b"}]}, {"name": "second", "turns": [{"say": "c"}]}]}}}"#,
            message: #"demo.json: agents.main.scenarios[2]: a second fallback scenario (no "match"); scenarios[0] "first" is already the fallback, so this one could never run; give it a "match""#
        ),
    ]

    @Test("a mistaken script is refused with the exact path and expectation", arguments: mistakes)
    func refusesMistake(_ mistake: Mistake) {
        #expect(scriptLoadError(mistake.script) == mistake.message)
    }

    @Test("a regular expression that does not compile is refused at its match")
    func refusesBadRegex() throws {
        let script = #"{"version": 1, "agents": {"main": {"scenarios": [{"name": "ok", "match": "/fine/", "turns": [{"say": "a"}]}, {"name": "bad", "match": "/a(b/", "turns": [{"say": "b"}]}]}}}"#
        let message = try #require(scriptLoadError(script))
        #expect(message.hasPrefix("demo.json: agents.main.scenarios[1].match: the regular expression /a(b/ does not compile ("))
        #expect(message.hasSuffix("); expected a valid regular expression between the slashes"))
    }

    @Test("the tool list in messages is the one the caller passes")
    func usesCallersToolNames() {
        let script = scriptWithTurns(#"[{"tools": [{"tool": "list_files"}]}]"#)
        #expect(scriptLoadError(script, knownTools: ["echo", "clock"])
            == #"demo.json: agents.main.scenarios[0].turns[0].tools[0].tool: unknown tool "list_files"; expected one of: clock, echo"#)
        #expect(scriptLoadError(scriptWithTurns(#"[{"tools": [{"tool": "echo"}]}]"#), knownTools: ["echo"]) == nil)
    }

    @Test("a valid script keeps every value it was given and fills the defaults")
    func keepsValues() throws {
        let script = try ScriptLoader.load(text: """
            {"version": 1, "description": "example", "agents": {
              "main": {"scenarios": [
                {"name": "greet", "match": "/^(hi|hello)\\\\b/", "turns": [
                  {"wait_ms": 250, "say": "Hello", "chunk_chars": 3, "chunk_delay_ms": 7,
                   "tools": [{"tool": "list_files", "args": {"path": ".", "max_depth": 2}}, {"tool": "list_tasks"}],
                   "usage": {"input": 12}},
                  {"say": "Bye"}]},
                {"name": "rest", "turns": [{"say": "?"}]}]}}}
            """, origin: "example.json")
        #expect(script.origin == "example.json")
        #expect(script.summary == "example")
        let scenarios = try #require(script.agents["main"]).scenarios
        #expect(scenarios.map(\.name) == ["greet", "rest"])
        #expect(scenarios[0].match == .regex("^(hi|hello)\\b"))
        #expect(scenarios[1].match == nil)
        let first = scenarios[0].turns[0]
        #expect(first.wait == .milliseconds(250))
        #expect(first.say == "Hello")
        #expect(first.chunkCharacters == 3)
        #expect(first.chunkDelay == .milliseconds(7))
        #expect(first.toolCalls == [
            Script.ToolCallTemplate(tool: "list_files", arguments: ["path": ".", "max_depth": 2]),
            Script.ToolCallTemplate(tool: "list_tasks", arguments: [:]),
        ])
        #expect(first.usage == Script.UsageOverride(input: 12, output: nil))
        let second = scenarios[0].turns[1]
        #expect(second.wait == .zero)
        #expect(second.chunkCharacters == Script.Turn.defaultChunkCharacters)
        #expect(second.chunkDelay == Script.Turn.defaultChunkDelay)
        #expect(second.isFinalAnswer)
        #expect(second.usage == nil)
    }

    @Test("a file that cannot be read is named in the message")
    func reportsUnreadableFile() {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-dir-\(UUID().uuidString)/missing.json")
        #expect(throws: ScriptError.self) { try ScriptLoader.load(from: url) }
        do {
            _ = try ScriptLoader.load(from: url)
        } catch {
            #expect(error.file == "missing.json")
            #expect(error.description.hasPrefix("missing.json: cannot read \(url.path): "))
        }
    }

    @Test("a script file on disk loads and is named by its file name")
    func loadsFromFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("script-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("mine.json")
        try Data(scriptWithTurns(#"[{"sya": "x"}]"#).utf8).write(to: file)
        do {
            _ = try ScriptLoader.load(from: file)
            Issue.record("a script with a mistake loaded")
        } catch {
            #expect(error.file == "mine.json")
            #expect(error.location == "agents.main.scenarios[0].turns[0]")
        }
    }
}
