@testable import MusterCore
import MusterPresentation
@testable import MusterTUI
import Testing

@Suite("The task dialog and the agents panel in the interactive state")
struct TaskDialogTests {
    private let start = ContinuousClock.now

    /// A state with three running background agents (#1 alpha, #2 beta, #3 gamma).
    private func threeRunning(rows: Int = 20) -> InteractiveState {
        var state = RenderFixtures.state(columns: 80, rows: rows)
        for (id, name) in [(1, "alpha"), (2, "beta"), (3, "gamma")] {
            state.apply(.task(.started(RenderFixtures.task(id, name))), at: start)
        }
        return state
    }

    private func press(_ keys: Key..., into state: inout InteractiveState) -> [AppIntent] {
        keys.flatMap { state.handle($0, now: start) }
    }

    @Test("Ctrl-T opens the dialog and closes it; Esc at the list closes it with the typed input intact")
    func openAndClose() {
        var state = threeRunning()
        state.editor.setText("half a thought")
        #expect(press(.control("t"), into: &state).isEmpty)
        #expect(state.dialog?.page == .list)
        _ = press(.control("t"), into: &state)
        #expect(state.dialog == nil)
        _ = press(.control("t"), .character("j"), .character("q"), .escape, into: &state)
        #expect(state.dialog == nil)
        #expect(state.editor.text == "half a thought")
    }

    @Test("↓ on an empty input focuses the pill, Enter then opens the dialog, and any other key gives the focus back")
    func pillFocus() {
        var state = threeRunning()
        _ = press(.down, into: &state)
        #expect(state.pillFocused)
        _ = press(.character("a"), into: &state)
        #expect(!state.pillFocused && state.editor.text == "a")
        _ = press(.backspace, .down, .enter, into: &state)
        #expect(state.dialog?.page == .list)
    }

    @Test("/tasks opens the dialog instead of printing a table, with the tasks of the reply")
    func slashTasksOpensTheDialog() {
        var state = RenderFixtures.state(columns: 80, rows: 20)
        let intents = type("/tasks", into: &state)
        #expect(intents == [.command("/tasks")])
        state.apply(.slashCommand(command: "/tasks"), at: start)
        state.apply(.reply(.taskList([RenderFixtures.task(4, "late")])), at: start)
        #expect(state.dialog?.page == .list)
        #expect(state.board.snapshot(of: TaskID(4))?.name == "late")
        #expect(!state.transcript.texts.contains { $0.hasPrefix("ID  NAME") })
    }

    @Test("j and k move the selection, Enter opens the detail and asks for its transcript, Esc goes back to the list")
    func detail() {
        var state = threeRunning()
        _ = press(.control("t"), .character("j"), into: &state)
        RenderFixtures.layout(&state)
        #expect(state.dialog?.selectedTaskID == TaskID(2))
        #expect(press(.enter, into: &state) == [.fetchTranscript(TaskID(2))])
        #expect(state.dialog?.page == .detail(TaskID(2)))
        var transcript = AgentTranscript()
        transcript.append("looking around")
        let shown = state.receiveTranscript(transcript, of: TaskID(2))
        let shownForAnother = state.receiveTranscript(transcript, of: TaskID(3))
        #expect(shown && !shownForAnother)
        // New work of that agent asks for the transcript again; others' work does not.
        state.apply(.toolStart(agent: AgentRef(name: "gamma", taskID: TaskID(3)), callID: "c1", tool: "grep", arguments: .object([:])), at: start)
        #expect(state.takeTranscriptRequest() == nil)
        state.apply(.toolStart(agent: AgentRef(name: "beta", taskID: TaskID(2)), callID: "c2", tool: "grep", arguments: .object([:])), at: start)
        #expect(state.takeTranscriptRequest() == TaskID(2))
        _ = press(.escape, into: &state)
        #expect(state.dialog?.page == .list)
        #expect(state.dialog?.selectedTaskID == TaskID(2))
    }

    @Test("the detail follows new output until scrolled up, then holds still; End follows again")
    func detailFollows() {
        var state = threeRunning(rows: 14)
        _ = press(.control("t"), .enter, into: &state)
        var transcript = AgentTranscript()
        for line in 1...30 { transcript.append("line \(line)") }
        state.receiveTranscript(transcript, of: TaskID(1))
        #expect(InteractiveRenderer.frame(for: &state).text.contains("line 30"))
        _ = press(.up, .wheelUp, into: &state)
        let scrolled = InteractiveRenderer.frame(for: &state).text
        #expect(!scrolled.contains("line 30") && scrolled.contains("line 20"))
        transcript.append("line 31")
        state.receiveTranscript(transcript, of: TaskID(1))
        #expect(InteractiveRenderer.frame(for: &state).text == scrolled)
        _ = press(.end, into: &state)
        #expect(state.dialog?.detailTop == nil)
        #expect(InteractiveRenderer.frame(for: &state).text.contains("line 31"))
    }

    @Test("x stops a background agent at once; X asks the session to stop all")
    func stop() {
        var state = threeRunning()
        _ = press(.control("t"), into: &state)
        RenderFixtures.layout(&state)
        #expect(press(.down, .character("x"), into: &state) == [.stopTask(TaskID(2))])
        state.apply(.reply(.stopping(TaskID(2), name: "beta", alreadyStopping: false)), at: start)
        #expect(state.dialog?.notice == "Stopping task #2 (beta)…")
        #expect(press(.character("X"), into: &state) == [.stopAll])
    }

    @Test("x on an agent with running children asks for a second x and says what else stops; another key keeps them")
    func stopWithChildren() {
        var state = threeRunning()
        state.apply(.task(.started(RenderFixtures.task(4, "child", spawner: .task(TaskID(1))))), at: start)
        _ = press(.control("t"), into: &state)
        RenderFixtures.layout(&state)
        #expect(press(.character("x"), into: &state).isEmpty)
        #expect(state.dialog?.armedStop?.message == "x again stops #1 alpha and the 1 running task it launched (#4) · any other key keeps them")
        #expect(press(.character("j"), .character("k"), into: &state).isEmpty)
        #expect(state.dialog?.armedStop == nil)
        #expect(press(.character("x"), .character("x"), into: &state) == [.stopTask(TaskID(1))])
    }

    @Test("x on a foreground agent asks for a second x too; on a finished task it only says so")
    func stopForegroundAndFinished() {
        var state = RenderFixtures.state(columns: 80, rows: 20)
        state.apply(.task(.started(RenderFixtures.task(1, "helper", mode: .foreground))), at: start)
        state.apply(.task(.finished(RenderFixtures.task(2, "done", status: .completed(summary: "ok")))), at: start)
        _ = press(.control("t"), into: &state)
        RenderFixtures.layout(&state)
        #expect(press(.character("x"), into: &state).isEmpty)
        #expect(state.dialog?.armedStop?.message.hasPrefix("x again stops #1 helper (the foreground turn waits for it)") == true)
        #expect(press(.character("x"), into: &state) == [.stopTask(TaskID(1))])
        #expect(press(.down, .character("x"), into: &state).isEmpty)
        #expect(state.dialog?.notice == "#2 done has already ended.")
        state.apply(.task(.started(RenderFixtures.task(3, "evil\u{1B}[2J", mode: .foreground))), at: start)
        _ = press(.home, .down, .character("x"), into: &state)
        let message = state.dialog?.armedStop?.message ?? ""
        #expect(message.hasPrefix("x again stops #3 evil"))
        #expect(TerminalSanitizer.isInert(message))
    }

    @Test("a finished task's update that arrives late never brings it back to running")
    func lateUpdate() {
        var board = TaskBoard()
        board.apply(.finished(RenderFixtures.task(1, "a", status: .completed(summary: ""))), at: start)
        board.apply(.updated(RenderFixtures.task(1, "a")), at: start)
        #expect(board.snapshot(of: TaskID(1))?.isTerminal == true)
        #expect(board.activeBackground.isEmpty)
    }

    @Test("a finished agent lingers in the panel for 8 seconds, then goes")
    func panelLingers() {
        var panel = AgentsPanel()
        var board = TaskBoard()
        let done = RenderFixtures.task(1, "a", status: .completed(summary: ""))
        board.apply(.finished(done), at: start)
        panel.note(done, at: start)
        #expect(panel.rows(board: board, at: start.advanced(by: .seconds(7))).tasks.map(\.id) == [TaskID(1)])
        #expect(panel.rows(board: board, at: start.advanced(by: .seconds(8))).tasks.isEmpty)
        let expired = panel.expire(at: start.advanced(by: .seconds(8)))
        #expect(expired)
        #expect(!panel.hasLingeringRows)
    }

    @Test("the panel shows five rows with the smallest ids and counts the rest")
    func panelCounts() {
        var board = TaskBoard()
        for id in (1...12).reversed() { board.apply(.started(RenderFixtures.task(id, "a\(id)")), at: start) }
        let (tasks, more) = AgentsPanel().rows(board: board, at: start)
        #expect(tasks.map(\.id.rawValue) == [1, 2, 3, 4, 5])
        #expect(more == 7)
        #expect(AgentsPanel(isEnabled: false).rows(board: board, at: start).tasks.isEmpty)
    }

    @Test("/panel off hides the panel and /panel on shows it again; neither reaches the session")
    func panelCommand() {
        var state = threeRunning()
        #expect(type("/panel off", into: &state).isEmpty)
        #expect(!state.panel.isEnabled)
        #expect(type("/panel on", into: &state).isEmpty)
        #expect(state.panel.isEnabled)
        #expect(type("/panel sideways", into: &state).isEmpty)
        #expect(state.transcript.texts.last == "Usage: /panel on|off")
    }

    private func type(_ text: String, into state: inout InteractiveState) -> [AppIntent] {
        var intents: [AppIntent] = []
        for character in text { intents += state.handle(.character(character), now: start) }
        return intents + state.handle(.enter, now: start)
    }
}
