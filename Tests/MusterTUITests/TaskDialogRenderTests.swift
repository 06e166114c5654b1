@testable import MusterCore
import MusterPresentation
@testable import MusterTUI
import Testing

@Suite("The task dialog and the agents panel match their snapshots")
@MainActor
struct TaskDialogRenderTests {
    private let start = ContinuousClock.now

    private func assertFrame(_ state: inout InteractiveState, named name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        state.now = start
        let screen = RenderFixtures.render(&state)
        SnapshotAssertion.assertSnapshot(screen.snapshot, named: name, sourceLocation: sourceLocation)
    }

    private func apply(_ tasks: [TaskSnapshot], to state: inout InteractiveState) {
        for task in tasks {
            state.apply(.task(task.isTerminal ? .finished(task) : .started(task)), at: start)
        }
    }

    /// Two running agents (one stopping), one that completed, one that failed, one cancelled.
    private var mixed: [TaskSnapshot] {
        [
            RenderFixtures.task(1, "tree", status: .completed(summary: "12 folders, 80 files"), age: .seconds(21), endedAt: .seconds(21),
                                usage: TaskUsage(inputTokens: 3000, outputTokens: 140, modelCalls: 3, toolCalls: 7)),
            RenderFixtures.task(2, "explore", status: .running(step: 3, activity: "shell: find . -type f"), age: .milliseconds(12_400),
                                usage: TaskUsage(inputTokens: 1000, outputTokens: 200, modelCalls: 2, toolCalls: 3)),
            RenderFixtures.task(3, "grep", status: .failed(error: "Step limit reached."), age: .seconds(30), endedAt: .seconds(40)),
            RenderFixtures.task(4, "read", status: .running(step: 1, activity: "read_file"), age: .seconds(3), cancelRequested: .user),
            RenderFixtures.task(5, "summarise", status: .cancelled(by: .user), age: .seconds(2), endedAt: .seconds(30)),
        ]
    }

    @Test("the list shows running tasks first, then finished ones newest first, under a title that counts them")
    func list() {
        var state = RenderFixtures.state(columns: 80, rows: 12)
        apply(mixed, to: &state)
        state.editor.setText("typed ahead")
        state.openDialog()
        let screen = RenderFixtures.render(&state)
        #expect(screen.frame.rowText(0).contains("Tasks (2 running · 3 done)"))
        #expect(screen.frame.rowText(1).hasPrefix("◐ #2 explore"))
        #expect(screen.frame.rowText(11) == "› typed ahead")
        assertFrame(&state, named: "the task dialog lists running tasks first then finished ones newest first")
    }

    @Test("nested agents show as a tree under their launcher, deeper ones as a count")
    func tree() {
        var state = RenderFixtures.state(columns: 80, rows: 12)
        apply([
            RenderFixtures.task(1, "lead"),
            RenderFixtures.task(2, "scout", spawner: .task(TaskID(1))),
            RenderFixtures.task(3, "digger", spawner: .task(TaskID(1))),
            RenderFixtures.task(4, "deep", spawner: .task(TaskID(3))),
            RenderFixtures.task(5, "deeper", status: .completed(summary: "ok"), spawner: .task(TaskID(4))),
            RenderFixtures.task(6, "solo"),
        ], to: &state)
        state.openDialog()
        let screen = RenderFixtures.render(&state)
        #expect(screen.frame.rowText(2).hasPrefix("◐ ├ #2"))
        #expect(screen.frame.rowText(4).contains("└ 2 more nested · 1 running"))
        assertFrame(&state, named: "nested agents show as a tree under their launcher and deeper ones as a count")
    }

    @Test("the detail shows the head, the transcript's tail and, once the task ended, how it ended")
    func detail() {
        var state = RenderFixtures.state(columns: 80, rows: 14)
        apply(mixed, to: &state)
        state.openDialog()
        #expect(state.handle(.enter, now: start) == [.fetchTranscript(TaskID(2))])
        var transcript = AgentTranscript()
        for step in 1...12 { transcript.append("→ shell: echo step \(step)") }
        state.receiveTranscript(transcript, of: TaskID(2))
        assertFrame(&state, named: "the task detail follows the transcript tail of a running task")
        state.apply(.task(.finished(RenderFixtures.task(2, "explore", status: .cancelled(by: .user), age: .seconds(13)))), at: start)
        let screen = RenderFixtures.render(&state)
        #expect(screen.frame.rowText(10).contains("Cancelled by you") || screen.text.contains("Cancelled"))
        assertFrame(&state, named: "the task detail stays open and shows the ending when the task ends")
    }

    @Test("an empty list says that nothing ran yet")
    func empty() {
        var state = RenderFixtures.state(columns: 60, rows: 8)
        state.openDialog()
        assertFrame(&state, named: "the task dialog with no tasks says so")
    }

    @Test("a 40 by 12 window drops columns but keeps glyph, id, name, status and time")
    func tiny() {
        var state = RenderFixtures.state(columns: 40, rows: 12)
        apply(mixed, to: &state)
        state.openDialog()
        let screen = RenderFixtures.render(&state)
        for row in 0..<12 { #expect(DisplayWidth.of(screen.frame.rowText(row)) <= 40) }
        assertFrame(&state, named: "the task dialog in a 40 by 12 window")
    }

    @Test("with 10,000 tasks the list shows the rows around the selection and End goes to the last")
    func tenThousand() {
        var state = RenderFixtures.state(columns: 80, rows: 12)
        for id in 1...10_000 {
            let task = id % 2 == 0
                ? RenderFixtures.task(id, "worker-\(id)", status: .completed(summary: "done \(id)"), age: .seconds(5), endedAt: .seconds(Int64(id)))
                : RenderFixtures.task(id, "worker-\(id)", status: .running(step: 1, activity: "grep"))
            state.apply(.task(task.isTerminal ? .finished(task) : .started(task)), at: start)
        }
        state.openDialog()
        _ = state.handle(.pageDown, now: start)
        _ = state.handle(.pageDown, now: start)
        assertFrame(&state, named: "the task dialog with 10000 tasks after two pages down")
        _ = state.handle(.end, now: start)
        let screen = RenderFixtures.render(&state)
        #expect(screen.frame.rowText(0).contains("Tasks (5000 running · 5000 done)"))
        #expect(screen.frame.rowText(8).hasPrefix("✓ #2 "))
    }

    @Test("an agent past 80% of its token budget shows 12.1k/20k on an amber row, one below it on a plain row, and its detail says the budget")
    func budgetRows() {
        var state = RenderFixtures.state(columns: 80, rows: 12)
        var near = RenderFixtures.task(1, "near", usage: TaskUsage(inputTokens: 16_100, outputTokens: 0, modelCalls: 2, toolCalls: 0))
        near.budget = TaskBudget(maxTokens: 20_000)
        var below = RenderFixtures.task(2, "below", usage: TaskUsage(inputTokens: 12_100, outputTokens: 0, modelCalls: 2, toolCalls: 0))
        below.budget = TaskBudget(maxTokens: 20_000)
        apply([near, below], to: &state)
        state.openDialog()
        var screen = RenderFixtures.render(&state)
        // The selection (reversed) is on the first row; the second is drawn in its own colour.
        #expect(screen.frame.rowText(1).contains(" #1 near") && screen.frame.rowText(1).contains("16.1k/20k"), "\(screen.snapshot)")
        #expect(screen.frame.rowText(2).contains(" #2 below") && screen.frame.rowText(2).contains("12.1k/20k"), "\(screen.snapshot)")
        #expect(screen.frame[2, 4].style == state.theme.style(.plain))
        _ = state.handle(.down, now: start)
        screen = RenderFixtures.render(&state)
        #expect(screen.frame[1, 4].style == state.theme.style(.warning), "amber past 80%")
        _ = state.handle(.up, now: start)
        _ = state.handle(.enter, now: start)
        screen = RenderFixtures.render(&state)
        #expect(screen.snapshot.contains("Budget: 16.1k/20k tokens"), "\(screen.snapshot)")
        #expect(TaskDialogRenderer.lineStyle(of: near) == .warning)
        #expect(TaskDialogRenderer.lineStyle(of: below) == .plain)
    }

    @Test("a first x on an agent with running children says in the key line what else stops; the focused pill is reversed")
    func stopQuestionAndPillFocus() {
        var state = RenderFixtures.state(columns: 100, rows: 12)
        apply([RenderFixtures.task(1, "lead"), RenderFixtures.task(2, "scout", spawner: .task(TaskID(1)))], to: &state)
        _ = state.handle(.down, now: start)
        var screen = RenderFixtures.render(&state)
        #expect(screen.frame.rowText(10).contains("Enter lists the tasks · Esc back"))
        #expect(screen.frame[10, 2].style.reverse)
        _ = state.handle(.enter, now: start)
        _ = state.handle(.character("x"), now: start)
        screen = RenderFixtures.render(&state)
        #expect(screen.frame.rowText(9) == "x again stops #1 lead and the 1 running task it launched (#2) · any other key keeps them")
        #expect(screen.frame[9, 0].style == state.theme.attention)
    }

    @Test("the agents panel lists running background agents above the status line, five at most, then a count")
    func panel() {
        var state = RenderFixtures.state(columns: 80, rows: 16)
        state.apply(.assistantMessage(agent: .main, text: "Launching seven agents."), at: start)
        for id in 1...7 {
            let task = RenderFixtures.task(id, "agent-\(id)", status: .running(step: 2, activity: "shell: find . -type f"), age: .seconds(12),
                                           usage: TaskUsage(inputTokens: 1000, outputTokens: 200))
            state.apply(.task(.started(task)), at: start)
        }
        let finished = RenderFixtures.task(1, "agent-1", status: .completed(summary: "ok"), age: .seconds(20))
        state.apply(.task(.finished(finished)), at: start)
        assertFrame(&state, named: "the agents panel lists five agents then a count")
        state.size = ScreenSize(rows: 15, columns: 80)
        #expect(!RenderFixtures.render(&state).text.contains("agent-2 ·"))
    }
}
