@testable import MusterCore
import MusterPresentation
import Testing

@Suite("The task dialog's tree and rows")
struct TaskTreeTests {
    private func task(
        _ id: Int, _ name: String = "agent", status: TaskStatus = .running(step: 1, activity: nil), endedAt: Duration? = nil,
        spawner: Spawner = .topLevel, mode: TaskMode = .background, usage: TaskUsage = TaskUsage(), cancelRequested: CancellationSource? = nil
    ) -> TaskSnapshot {
        TaskSnapshot(
            id: TaskID(id), name: name, kind: .agent, description: "", spawner: spawner, mode: mode, status: status,
            cancelRequested: cancelRequested, startedAt: .zero, endedAt: status.isTerminal ? (endedAt ?? .seconds(1)) : nil,
            startDate: .distantPast, age: .seconds(12), trail: [], usage: usage
        )
    }

    private func ids(_ tree: TaskTree) -> [String] {
        tree.rows.map { row in
            switch row.content {
            case .task(let id): row.prefix + id.description
            case .collapsed(_, let count, let running): row.prefix + "+\(count)/\(running)"
            }
        }
    }

    @Test("running tasks come first by id, then finished ones newest first, and the title counts both")
    func order() {
        let tree = TaskTree([
            task(1, status: .completed(summary: "ok"), endedAt: .seconds(5)),
            task(4),
            task(2, status: .failed(error: "no"), endedAt: .seconds(9)),
            task(3),
            task(5, status: .pending),
        ])
        #expect(ids(tree) == ["#3", "#4", "#5", "#2", "#1"])
        #expect(tree.title == "Tasks (3 running · 2 done)")
    }

    @Test("nested agents hang under their launcher, and deeper nesting collapses into a count until expanded")
    func nesting() {
        let tasks = [
            task(1), task(2, spawner: .task(TaskID(1))), task(3, spawner: .task(TaskID(1))),
            task(4, spawner: .task(TaskID(3))), task(5, status: .completed(summary: ""), spawner: .task(TaskID(4))),
            task(6),
        ]
        #expect(ids(TaskTree(tasks)) == ["#1", "├ #2", "└ #3", "  └ +2/1", "#6"])
        #expect(ids(TaskTree(tasks, expanded: [TaskID(3)])) == ["#1", "├ #2", "└ #3", "  └ #4", "    └ +1/0", "#6"])
        #expect(ids(TaskTree(tasks, maxDepth: 5)) == ["#1", "├ #2", "└ #3", "  └ #4", "    └ #5", "#6"])
    }

    @Test("a task whose launcher is unknown is listed at the top instead of vanishing")
    func orphans() {
        #expect(ids(TaskTree([task(7, spawner: .task(TaskID(3)))])) == ["#7"])
    }

    @Test("a list row has glyph, id, name, kind, status, elapsed, tokens and activity, and narrow windows drop columns")
    func rows() {
        let busy = task(12, "tree", status: .running(step: 2, activity: "shell: find . -type f"), usage: TaskUsage(inputTokens: 1000, outputTokens: 200))
        let wide = TaskRowText.dialogRow(busy, elapsed: .seconds(12), columns: .init(width: 90, largestID: 12), width: 90)
        #expect(wide == "◐ #12 tree             agent running      12s   1.2k  step 2 · shell: find . -type f")
        let cut = TaskRowText.dialogRow(busy, elapsed: .seconds(12), columns: .init(width: 80, largestID: 12), width: 80)
        #expect(cut == "◐ #12 tree             agent running      12s   1.2k  step 2 · shell: find . -t…")
        let narrow = TaskRowText.dialogRow(busy, elapsed: .seconds(72), columns: .init(width: 40, largestID: 12), width: 40)
        #expect(narrow == "◐ #12 tree     running    1m12s  step 2…")
        #expect(TaskRowText.glyph(of: task(1, status: .completed(summary: ""))) == "✓")
        #expect(TaskRowText.glyph(of: task(1, status: .failed(error: ""))) == "✗")
        #expect(TaskRowText.glyph(of: task(1, status: .cancelled(by: .user))) == "⊘")
        #expect(TaskRowText.glyph(of: task(1, cancelRequested: .user)) == "◌")
    }

    @Test("a panel row reads glyph, name, activity, elapsed and tokens, and shows control characters inert")
    func panelRow() {
        let busy = task(3, "tree", status: .running(step: 2, activity: "shell: find . -type f"), usage: TaskUsage(inputTokens: 1000, outputTokens: 200))
        #expect(TaskRowText.panelRow(busy, elapsed: .seconds(12), width: 80) == "◐ tree · shell: find . -type f · 12s · 1.2k tok")
        let done = task(3, "tree", status: .completed(summary: "fine"))
        #expect(TaskRowText.panelRow(done, elapsed: .seconds(21), width: 80) == "✓ tree · completed · 21s · 0 tok")
        let hostile = task(4, "x\u{1B}[31m", status: .running(step: 1, activity: "rm\u{1B}[2J"))
        #expect(TerminalSanitizer.isInert(TaskRowText.panelRow(hostile, elapsed: .zero, width: 80)))
        #expect(TerminalSanitizer.isInert(TaskRowText.dialogRow(hostile, elapsed: .zero, columns: .init(width: 80, largestID: 4), width: 80)))
    }

    @Test("elapsed time reads as a clock: seconds, then minutes, then hours")
    func elapsed() {
        #expect(TaskRowText.elapsed(.milliseconds(12_900)) == "12s")
        #expect(TaskRowText.elapsed(.seconds(245)) == "4m05s")
        #expect(TaskRowText.elapsed(.seconds(7380)) == "2h03m")
    }

    @Test("tasks waiting for approval come first, at the top level in the order they asked, with their own tasks under them; an ended one is not lifted")
    func waitingFirst() {
        let tasks = [
            task(1), task(2, spawner: .task(TaskID(1))), task(3), task(4, spawner: .task(TaskID(3))),
            task(5, status: .completed(summary: "ok")), task(6),
        ]
        // #4 asked before #6; #5 ended with its request still listed (a late answer event).
        let tree = TaskTree(tasks, waiting: [TaskID(4), TaskID(6), TaskID(4), TaskID(5)])
        #expect(ids(tree) == ["#4", "#6", "#1", "└ #2", "#3", "#5"])
        #expect(tree.waiting == 2)
        #expect(tree.title == "Tasks (⚠ 2 need you · 5 running · 1 done)")
        #expect(TaskTree(tasks).title == "Tasks (5 running · 1 done)")
        #expect(TaskTree(tasks, waiting: [TaskID(1)]).title == "Tasks (⚠ 1 needs you · 5 running · 1 done)")
        #expect(ids(TaskTree(tasks, waiting: [TaskID(1)])).prefix(2) == ["#1", "└ #2"])
    }
}
