@testable import MusterCore
@testable import MusterPresentation
import Testing

@Suite("Transcript lines from session events")
struct CommandsTranscriptFormatterTests {
    private let sub = AgentRef(name: "explore", taskID: TaskID(3))

    private func snapshot(
        _ id: Int, _ name: String, status: TaskStatus, age: Duration, mode: TaskMode = .background, cancelRequested: CancellationSource? = nil,
        usage: TaskUsage = TaskUsage(), childrenUsage: TaskUsage = TaskUsage()
    ) -> TaskSnapshot {
        TaskSnapshot(
            id: TaskID(id), name: name, kind: .agent, description: "prompt", spawner: .topLevel, mode: mode,
            status: status, cancelRequested: cancelRequested, startedAt: .zero, endedAt: status.isTerminal ? age : nil,
            startDate: .distantPast, age: age, trail: [], usage: usage, childrenUsage: childrenUsage
        )
    }

    @Test("a background agent's end becomes one line: completed, failed or cancelled")
    func completionLines() {
        var formatter = TranscriptFormatter()
        let completed = formatter.lines(for: .task(.finished(snapshot(
            3, "explore", status: .completed(summary: "ok"), age: .milliseconds(12_400),
            usage: TaskUsage(inputTokens: 2000, outputTokens: 100, modelCalls: 2, toolCalls: 5),
            childrenUsage: TaskUsage(inputTokens: 1000, outputTokens: 20, modelCalls: 1, toolCalls: 2)
        ))))
        #expect(completed == [TranscriptLine("Background agent \"explore\" completed (task #3, 12.4s · 3.1k tokens · 7 tools).", style: .success)])
        let failed = formatter.lines(for: .task(.finished(snapshot(4, "grep", status: .failed(error: "Step limit reached.\nmore"), age: .seconds(2)))))
        #expect(failed == [TranscriptLine("Background agent \"grep\" failed: Step limit reached (task #4, 2.0s · 0 tokens · 0 tools).", style: .error)])
        let cancelled = formatter.lines(for: .task(.finished(snapshot(7, "explore", status: .cancelled(by: .user), age: .milliseconds(3200), usage: TaskUsage(toolCalls: 1)))))
        #expect(cancelled == [TranscriptLine("Background agent \"explore\" was cancelled (task #7, 3.2s · 0 tokens · 1 tool).", style: .warning)])
    }

    @Test("token counts read short: whole below a thousand, one decimal in thousands below 100k, then whole k, then M")
    func tokenCounts() {
        #expect([0, 950, 999, 1000, 3140, 12_449, 99_949, 99_950, 124_400, 1_250_000].map(UsageText.tokens)
            == ["0", "950", "999", "1.0k", "3.1k", "12.4k", "99.9k", "100k", "124k", "1.3M"])
    }

    @Test("/tasks show's usage line gives totals, in and out, model calls and tools, and own + children once children used any")
    func usageDetail() {
        let alone = snapshot(1, "explore", status: .running(step: 1, activity: nil), age: .seconds(1),
                             usage: TaskUsage(inputTokens: 1000, outputTokens: 200, modelCalls: 1, toolCalls: 1))
        #expect(UsageText.detail(of: alone) == "1.2k tokens (1.0k in, 200 out) · 1 model call · 1 tool")
        let parent = snapshot(2, "explore", status: .running(step: 1, activity: nil), age: .seconds(1),
                              usage: TaskUsage(inputTokens: 1000, outputTokens: 200, modelCalls: 2, toolCalls: 3),
                              childrenUsage: TaskUsage(inputTokens: 1800, outputTokens: 100, modelCalls: 2, toolCalls: 4))
        #expect(UsageText.detail(of: parent) == "3.1k tokens (2.8k in, 300 out) · 4 model calls · 7 tools · own 1.2k + children 1.9k")
    }

    @Test("a foreground sub-agent's end adds no completion line")
    func foregroundEnd() {
        var formatter = TranscriptFormatter()
        #expect(formatter.lines(for: .task(.finished(snapshot(2, "explore", status: .completed(summary: "ok"), age: .seconds(1), mode: .foreground)))).isEmpty)
    }

    @Test("streamed text comes out line by line; the rest stays as the streaming line until the message ends")
    func streaming() {
        var formatter = TranscriptFormatter()
        #expect(formatter.lines(for: .textDelta(agent: .main, text: "Hello, ")).isEmpty)
        #expect(formatter.streamingLine?.text == "Hello, ")
        #expect(formatter.lines(for: .textDelta(agent: .main, text: "world.\r\nSecond")) == [TranscriptLine("Hello, world.")])
        #expect(formatter.streamingLine?.text == "Second")
        #expect(formatter.lines(for: .assistantMessage(agent: .main, text: "Hello, world.\nSecond line")) == [TranscriptLine("Second")])
        #expect(formatter.streamingLine == nil)
    }

    @Test("a message that was not streamed is shown whole")
    func unstreamedMessage() {
        var formatter = TranscriptFormatter()
        #expect(formatter.lines(for: .assistantMessage(agent: .main, text: "One\nTwo")).map(\.text) == ["One", "Two"])
    }

    @Test("sub-agents' text and tool calls stay out of the transcript")
    func subAgentsQuiet() {
        var formatter = TranscriptFormatter()
        #expect(formatter.lines(for: .textDelta(agent: sub, text: "thinking\n")).isEmpty)
        #expect(formatter.lines(for: .assistantMessage(agent: sub, text: "done")).isEmpty)
        #expect(formatter.lines(for: .toolStart(agent: sub, callID: "c1", tool: "grep", arguments: [:])).isEmpty)
        #expect(formatter.lines(for: .toolProgress(agent: sub, callID: "c1", line: "x")).isEmpty)
        #expect(formatter.lines(for: .toolEnd(agent: sub, callID: "c1", tool: "grep", output: ToolOutput("x"))).isEmpty)
        #expect(formatter.streamingLine == nil)
    }

    @Test("the main agent's tool calls show their arguments and the start of their output")
    func toolCalls() {
        var formatter = TranscriptFormatter()
        let started = formatter.lines(for: .toolStart(agent: .main, callID: "c1", tool: "list_files", arguments: ["path": ".", "max_depth": 2]))
        #expect(started == [TranscriptLine("  → list_files max_depth=2 path=\".\"", style: .tool)])
        let ended = formatter.lines(for: .toolEnd(agent: .main, callID: "c1", tool: "list_files", output: ToolOutput("a\nb\nc\nd\ne\n")))
        #expect(ended.map(\.text) == ["    a", "    b", "    c", "    … 2 more lines"])
    }

    @Test("output that streamed as progress is not shown again when the call ends; a failure still is")
    func streamedOutputOnce() {
        var formatter = TranscriptFormatter()
        _ = formatter.lines(for: .toolStart(agent: .main, callID: "c1", tool: "shell", arguments: ["command": "echo hi"]))
        #expect(formatter.lines(for: .toolProgress(agent: .main, callID: "c1", line: "hi")) == [TranscriptLine("    │ hi", style: .toolOutput)])
        #expect(formatter.lines(for: .toolEnd(agent: .main, callID: "c1", tool: "shell", output: ToolOutput("hi\n[exit status 0]"))).isEmpty)
        _ = formatter.lines(for: .toolStart(agent: .main, callID: "c2", tool: "shell", arguments: ["command": "false"]))
        _ = formatter.lines(for: .toolProgress(agent: .main, callID: "c2", line: "oops"))
        let failed = formatter.lines(for: .toolEnd(agent: .main, callID: "c2", tool: "shell", output: .error("oops\n[exit status 1]")))
        #expect(failed.first == TranscriptLine("  ✗ oops", style: .error))
    }

    @Test("a background launch is one line in the person's words; the text meant for the model stays out")
    func launchIsOneLine() {
        var formatter = TranscriptFormatter()
        let arguments: JSONValue = ["name": "explore", "prompt": "look around", "background": true]
        #expect(formatter.lines(for: .toolStart(agent: .main, callID: "c1", tool: "agent", arguments: arguments)).isEmpty)
        #expect(formatter.lines(for: .toolProgress(agent: .main, callID: "c1", line: "started explore #4 in the background")).isEmpty)
        let output = ToolOutput("Background agent \"explore\" started (task #4). Its result arrives when it finishes; use wait_task or list_tasks to check on it.")
        let ended = formatter.lines(for: .toolEnd(agent: .main, callID: "c1", tool: "agent", output: output))
        #expect(ended == [TranscriptLine("  → agent \"explore\" started in the background (task #4)", style: .tool)])
        _ = formatter.lines(for: .toolStart(agent: .main, callID: "c2", tool: "agent", arguments: arguments))
        let refusal = TaskRegistry.StartRefusal.capReached(limit: 1).description
        let refused = formatter.lines(for: .toolEnd(agent: .main, callID: "c2", tool: "agent", output: .error(refusal)))
        #expect(refused == [TranscriptLine("  ✗ agent \"explore\" not started:", style: .error), TranscriptLine("    \(refusal)", style: .error)])
    }

    @Test("a tool error, such as the cap refusal, is shown whole on one marked line")
    func toolError() {
        var formatter = TranscriptFormatter()
        let refusal = TaskRegistry.StartRefusal.capReached(limit: 1).description
        let lines = formatter.lines(for: .toolEnd(agent: .main, callID: "c2", tool: "agent", output: .error(refusal)))
        #expect(lines == [TranscriptLine("  ✗ Cannot start background agent: maximum concurrent background agents (1) reached. Stop an existing agent first.", style: .error)])
    }

    @Test("an escape sequence in tool output is shown inert")
    func inertToolOutput() {
        var formatter = TranscriptFormatter()
        let lines = formatter.lines(for: .toolProgress(agent: .main, callID: "c1", line: "\u{1B}[2J\u{1B}]0;pwned\u{07}"))
        #expect(lines.map(\.text) == ["    │ ^[[2J^[]0;pwned^G"])
    }

    @Test("an interrupted turn says how many background agents keep running")
    func interruptedTurn() {
        var formatter = TranscriptFormatter()
        _ = formatter.lines(for: .task(.started(snapshot(1, "explore", status: .running(step: 1, activity: nil), age: .zero))))
        _ = formatter.lines(for: .task(.started(snapshot(2, "grep", status: .running(step: 1, activity: nil), age: .zero))))
        let lines = formatter.lines(for: .turnEnd(turn: 1, outcome: .cancelled))
        #expect(lines.first == TranscriptLine("Turn interrupted. 2 background agents keep running (see /tasks).", style: .warning))
        _ = formatter.lines(for: .task(.updated(snapshot(2, "grep", status: .running(step: 1, activity: nil), age: .zero, cancelRequested: .user))))
        #expect(formatter.lines(for: .turnEnd(turn: 2, outcome: .cancelled)).first?.text == "Turn interrupted. The background agent keeps running (see /tasks).")
        _ = formatter.lines(for: .task(.finished(snapshot(1, "explore", status: .completed(summary: ""), age: .zero))))
        #expect(formatter.lines(for: .turnEnd(turn: 3, outcome: .cancelled)).first?.text == "Turn interrupted.")
    }

    @Test("the person's input, warnings and failed turns get their own lines")
    func otherEvents() {
        var formatter = TranscriptFormatter()
        #expect(formatter.lines(for: .userInput(text: "hi\nthere")) == [TranscriptLine("› hi", style: .user), TranscriptLine("  there", style: .user)])
        #expect(formatter.lines(for: .warning("Ignoring X")) == [TranscriptLine("⚠ Ignoring X", style: .warning)])
        #expect(formatter.lines(for: .turnEnd(turn: 1, outcome: .failed(error: "model down"))).first == TranscriptLine("Turn failed: model down", style: .error))
        #expect(formatter.lines(for: .turnStart(turn: 2, trigger: .backgroundResults)).map(\.text) == ["Background results arrived; the main agent is reading them."])
    }

    @Test("new output ends a streamed line that lacked its newline")
    func flushOnOtherOutput() {
        var formatter = TranscriptFormatter()
        _ = formatter.lines(for: .textDelta(agent: .main, text: "Let me look"))
        let lines = formatter.lines(for: .toolStart(agent: .main, callID: "c1", tool: "grep", arguments: ["pattern": "TODO"]))
        #expect(lines.map(\.text) == ["Let me look", "  → grep pattern=\"TODO\""])
    }
}
