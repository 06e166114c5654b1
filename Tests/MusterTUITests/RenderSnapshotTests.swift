@testable import MusterCore
import MusterPresentation
@testable import MusterTUI
import Testing

@Suite("Rendered frames match their snapshots")
@MainActor
struct RenderSnapshotTests {
    private func assertFrame(_ state: inout InteractiveState, named name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let screen = RenderFixtures.render(&state)
        SnapshotAssertion.assertSnapshot(screen.snapshot, named: name, sourceLocation: sourceLocation)
    }

    @Test("the pill reads 0 of 10 agents, dimmed, when nothing runs")
    func pillAtZero() {
        var state = RenderFixtures.state(columns: 60, rows: 6)
        state.append(FrontEnd.welcome(workspace: .init(fileURLWithPath: "/work/project")))
        let screen = RenderFixtures.render(&state)
        #expect(screen.frame.rowText(4).contains("○ 0/10 agents"))
        let pillColumn = Array(screen.frame.rowText(4)).firstIndex(of: "○") ?? 0
        #expect(screen.frame[4, pillColumn].style.dim)
        assertFrame(&state, named: "the pill reads 0 of 10 agents dimmed when nothing runs")
    }

    @Test("the pill counts several running agents, shows a spinner and the results waiting")
    func pillSeveralRunning() {
        var state = RenderFixtures.state(columns: 80, rows: 8)
        state.apply(.userInput(text: "look around the project"))
        state.apply(.turnStart(turn: 1, trigger: .input("look around the project")))
        state.apply(.assistantMessage(agent: .main, text: "I'll send three agents to look around."))
        for (id, name) in [(1, "explore"), (2, "grep"), (3, "read")] {
            state.apply(.task(.started(RenderFixtures.task(id, name))))
        }
        state.apply(.task(.started(RenderFixtures.task(4, "tree"))))
        state.apply(.task(.finished(RenderFixtures.task(4, "tree", status: .completed(summary: "12 folders"), age: .milliseconds(12_400)))))
        state.apply(.task(.resultsWaiting(.topLevel, count: 1)))
        let screen = RenderFixtures.render(&state)
        #expect(screen.text.contains("● 3/10 agents · 1 done ◐"))
        #expect(screen.text.contains("Background agent \"tree\" completed (task #4, 12.4s · 0 tokens · 0 tools)."))
        assertFrame(&state, named: "the pill counts several running agents with a spinner and results waiting")
    }

    @Test("the tasks table lists running agents first, then the recently finished")
    func tasksTable() {
        var state = RenderFixtures.state(columns: 80, rows: 10)
        let tasks = [
            RenderFixtures.task(1, "tree", status: .completed(summary: "12 folders, 80 files"), age: .seconds(21), endedAt: .seconds(21),
                                usage: TaskUsage(inputTokens: 3000, outputTokens: 140, modelCalls: 3, toolCalls: 7)),
            RenderFixtures.task(2, "explore", status: .running(step: 3, activity: "list_files"), age: .milliseconds(12_400),
                                usage: TaskUsage(inputTokens: 12_000, outputTokens: 400, modelCalls: 4, toolCalls: 12)),
            RenderFixtures.task(3, "grep", status: .failed(error: "Step limit reached."), age: .seconds(30), endedAt: .seconds(40)),
            RenderFixtures.task(4, "read", status: .running(step: 1, activity: "read_file"), age: .milliseconds(3_200), cancelRequested: .user),
            RenderFixtures.task(5, "summarise", status: .pending, age: .zero),
        ]
        state.append([TranscriptLine("› /tasks", style: .user)] + TaskTable.lines(for: tasks))
        let screen = RenderFixtures.render(&state)
        #expect(screen.frame.rowText(2).hasPrefix("ID  NAME"))
        #expect(screen.frame.rowText(3).hasPrefix("#2  explore"))
        assertFrame(&state, named: "the tasks table lists running agents first then the recently finished")
    }

    @Test("a narrow terminal wraps the transcript, cuts table rows and keeps the pill whole")
    func narrowTerminal() {
        var state = RenderFixtures.state(columns: 40, rows: 12)
        state.apply(.assistantMessage(agent: .main, text: "I'll launch three background agents that look through the tree, the TODOs and the largest files."))
        state.append(TaskTable.lines(for: [RenderFixtures.task(7, "explore", status: .running(step: 12, activity: "grep, read_file"), age: .seconds(75))]))
        state.apply(.task(.started(RenderFixtures.task(7, "explore"))))
        state.apply(.turnStart(turn: 1, trigger: .input("x")))
        let screen = RenderFixtures.render(&state)
        for row in 0..<12 { #expect(DisplayWidth.of(screen.frame.rowText(row)) <= 40) }
        #expect(screen.frame.rowText(10).contains("● 1/10 agents ◐"))
        assertFrame(&state, named: "a narrow terminal wraps the transcript cuts table rows and keeps the pill whole")
    }

    @Test("wide characters take two columns and never split at the edge")
    func wideCharacters() {
        var state = RenderFixtures.state(columns: 30, rows: 9)
        state.apply(.assistantMessage(agent: .main, text: "日本語のテキストは二列ずつ表示されます。絵文字🎉も同じです。"))
        state.apply(.assistantMessage(agent: .main, text: "Combining: e\u{301}te\u{301} café ok"))
        state.editor.setText("こんにちは 🎉")
        let screen = RenderFixtures.render(&state)
        #expect(screen.frame.cursor?.column == 2 + DisplayWidth.of("こんにちは 🎉"))
        for row in 0..<9 { #expect(DisplayWidth.of(screen.frame.rowText(row)) <= 30) }
        assertFrame(&state, named: "wide characters take two columns and never split at the edge")
    }

    @Test("an escape sequence in tool output is shown inert")
    func inertEscapes() {
        var state = RenderFixtures.state(columns: 60, rows: 8)
        state.apply(.toolStart(agent: .main, callID: "c1", tool: "shell", arguments: ["command": "printf '\u{1B}[2J'"]))
        state.apply(.toolProgress(agent: .main, callID: "c1", line: "\u{1B}[31mred\u{1B}[0m \u{1B}]0;title\u{07} bell\u{07}"))
        state.apply(.toolEnd(agent: .main, callID: "c1", tool: "shell", output: ToolOutput("streamed already")))
        state.apply(.toolStart(agent: .main, callID: "c2", tool: "read_file", arguments: ["path": "x"]))
        state.apply(.toolEnd(agent: .main, callID: "c2", tool: "read_file", output: ToolOutput("done\u{1B}[?1049h\r\n\u{9B}6n")))
        let screen = RenderFixtures.render(&state)
        for cell in screen.frame.cells {
            #expect(cell.text.unicodeScalars.allSatisfy { $0.value >= 0x20 && !(0x7F..<0xA0).contains($0.value) })
        }
        #expect(screen.text.contains("^[[31mred^[[0m ^[]0;title^G bell^G"))
        assertFrame(&state, named: "an escape sequence in tool output is shown inert")
    }

    @Test("a running turn streams its text and offers Esc in the status line")
    func streamingTurn() {
        var state = RenderFixtures.state(columns: 60, rows: 6)
        state.apply(.userInput(text: "summarise the results"))
        state.apply(.turnStart(turn: 1, trigger: .input("summarise the results")))
        state.apply(.textDelta(agent: .main, text: "The explore agent found"))
        let screen = RenderFixtures.render(&state)
        #expect(screen.frame.rowText(3) == "The explore agent found")
        assertFrame(&state, named: "a running turn streams its text and offers Esc in the status line")
    }

    @Test("a narrow status line shortens its hints instead of dropping them: working, ↑ PgDn")
    func narrowHints() {
        var state = RenderFixtures.state(columns: 40, rows: 6)
        for id in 1...3 { state.apply(.task(.started(RenderFixtures.task(id, "agent\(id)")))) }
        state.apply(.turnStart(turn: 1, trigger: .input("go")))
        var status = RenderFixtures.render(&state).frame.rowText(4)
        #expect(status.contains("3/10 agents"))
        #expect(status.hasSuffix(" working ─"))
        state.apply(.turnEnd(turn: 1, outcome: .completed(text: "")))
        state.append((1...20).map { TranscriptLine("line \($0)") })
        _ = state.handle(.pageUp, now: .now)
        status = RenderFixtures.render(&state).frame.rowText(4)
        #expect(status.hasSuffix(" ↑ PgDn ─"))
        // Wide enough, the long forms come back.
        state.size = ScreenSize(rows: 6, columns: 80)
        status = RenderFixtures.render(&state).frame.rowText(4)
        #expect(status.contains("scrolled up · PgDn"))
    }

    @Test("the status line shows the session's tokens after the pill where there is room, never instead of a hint")
    func sessionTokens() {
        var state = RenderFixtures.state(columns: 80, rows: 6)
        state.apply(.task(.started(RenderFixtures.task(1, "tree"))))
        #expect(!RenderFixtures.render(&state).frame.rowText(4).contains("tok"), "nothing used yet: no detail")
        state.apply(.modelUsage(agent: AgentRef(name: "tree", taskID: TaskID(1)), usage: Usage(inputTokens: 12_000, outputTokens: 350)))
        state.apply(.modelUsage(agent: .main, usage: Usage(inputTokens: 40, outputTokens: 10)))
        state.apply(.turnStart(turn: 1, trigger: .input("go")))
        var status = RenderFixtures.render(&state).frame.rowText(4)
        #expect(status.contains("1/10 agents"))
        #expect(status.contains(" · 12.4k tok "))
        #expect(status.hasSuffix(" working ◐ · Esc interrupts ─"))
        // Narrower, the hint keeps its place and the tokens give way.
        state.size = ScreenSize(rows: 6, columns: 50)
        status = RenderFixtures.render(&state).frame.rowText(4)
        #expect(!status.contains("tok"))
        #expect(status.contains("working"))
    }

    @Test("a confirmation question takes the place of the input line")
    func confirmation() {
        var state = RenderFixtures.state(columns: 60, rows: 5)
        state.append([TranscriptLine("› /cancel all", style: .user)])
        state.ask(ConfirmationRequest(.cancelAll, count: 3))
        assertFrame(&state, named: "a confirmation question takes the place of the input line")
    }

    @Test("scrolled up, the view holds still and the status line counts the new lines")
    func scrolledUp() {
        var state = RenderFixtures.state(columns: 50, rows: 7)
        state.append((1...20).map { TranscriptLine("line \($0)") })
        _ = state.handle(.pageUp, now: .now)
        let before = RenderFixtures.render(&state).text
        state.append([TranscriptLine("line 21"), TranscriptLine("line 22")])
        let screen = RenderFixtures.render(&state)
        #expect(screen.text.split(separator: "\n").prefix(5) == before.split(separator: "\n").prefix(5))
        #expect(screen.text.contains("↓ 2 new lines · PgDn"))
        assertFrame(&state, named: "scrolled up the view holds still and the status line counts the new lines")
    }

    @Test("without colours every style keeps its attributes but loses its colour")
    func noColor() {
        var state = RenderFixtures.state(columns: 60, rows: 6, color: false)
        state.apply(.task(.started(RenderFixtures.task(1, "explore"))))
        state.apply(.task(.finished(RenderFixtures.task(1, "explore", status: .failed(error: "boom"), age: .seconds(2)))))
        state.apply(.warning("Ignoring MUSTER_MAX_BACKGROUND_AGENTS=abc"))
        let screen = RenderFixtures.render(&state)
        #expect(screen.frame.cells.allSatisfy { $0.style.foreground == nil })
        assertFrame(&state, named: "without colours every style keeps its attributes but loses its colour")
    }

    @Test("tiny and empty screens render without losing the input line")
    func tinyScreens() {
        for (rows, columns) in [(0, 0), (1, 1), (1, 10), (2, 5), (3, 3), (4, 12)] {
            var state = RenderFixtures.state(columns: columns, rows: rows)
            state.append([TranscriptLine("日本語 and a long line that wraps")])
            state.editor.setText("typed 日本")
            let frame = InteractiveRenderer.frame(for: &state)
            #expect(frame.size == ScreenSize(rows: rows, columns: columns))
            for row in 0..<rows { #expect(DisplayWidth.of(frame.rowText(row)) <= columns) }
            if rows > 0, columns > 1 { #expect(frame.rowText(rows - 1).hasPrefix("›")) }
        }
    }

    @Test("a long input line scrolls sideways to keep the cursor in view")
    func longInput() {
        var state = RenderFixtures.state(columns: 20, rows: 4)
        state.editor.setText(String(repeating: "abcdefghij", count: 5) + "日本")
        let screen = RenderFixtures.render(&state)
        let cursor = screen.frame.cursor
        #expect(cursor?.row == 3)
        #expect(cursor?.column == 19)
        #expect(screen.frame.rowText(3).hasSuffix("日本"))
        _ = state.editor.handle(.home)
        let home = RenderFixtures.render(&state)
        #expect(home.frame.cursor?.column == 2)
        #expect(home.frame.rowText(3) == "› abcdefghijabcdefgh")
    }
}
