@testable import MusterCore
import MusterPresentation
@testable import MusterTUI
import Testing

/// The task dialog's `p`, `r` and `m` (issue #19), and the pending approvals it lists first (#21).
@Suite("The task dialog's pause, resume and message keys, and approvals listed first")
struct TaskDialogKeysTests {
    private let start = ContinuousClock.now

    /// A state with three running background agents (#1 alpha, #2 beta, #3 gamma), dialog open.
    private func dialogOnThree(columns: Int = 100, rows: Int = 20) -> InteractiveState {
        var state = RenderFixtures.state(columns: columns, rows: rows)
        for (id, name) in [(1, "alpha"), (2, "beta"), (3, "gamma")] {
            state.apply(.task(.started(RenderFixtures.task(id, name))), at: start)
        }
        state.openDialog()
        RenderFixtures.layout(&state)
        return state
    }

    private func press(_ keys: Key..., into state: inout InteractiveState) -> [AppIntent] {
        keys.flatMap { state.handle($0, now: start) }
    }

    private func type(_ text: String, into state: inout InteractiveState) -> [AppIntent] {
        text.flatMap { state.handle(.character($0), now: start) }
    }

    private func request(_ id: Int, task: Int) -> ApprovalRequest {
        ApprovalRequest(
            id: id, agent: AgentRef(name: "worker", taskID: TaskID(task)), callID: "c\(id)", tool: "shell",
            subject: .shell(command: "make test \(id)", directory: "/w")
        )
    }

    /// The dialog's bottom line (the row above the status line) as drawn now.
    @MainActor
    private func keyLine(_ state: inout InteractiveState) -> String {
        let lines = RenderFixtures.render(&state).text.split(separator: "\n", omittingEmptySubsequences: false)
        return String(lines[state.size.rows - 3]).trimmingCharacters(in: .whitespaces)
    }

    @Test("p pauses and r resumes the selected agent through the session; its reply, a refusal at the cap too, shows in the dialog")
    func pauseAndResume() {
        var state = dialogOnThree()
        #expect(press(.down, .character("p"), into: &state) == [.pauseTask(TaskID(2))])
        state.apply(.reply(.paused(.init(id: TaskID(2), name: "beta"), already: false)), at: start)
        #expect(state.dialog?.notice == "Paused task #2 (beta). /tasks resume #2 goes on.")
        state.apply(.task(.updated(RenderFixtures.task(2, "beta", status: .paused(step: 1, activity: nil)))), at: start)
        #expect(state.dialog?.selectedTaskID == TaskID(2))
        #expect(press(.character("r"), into: &state) == [.resumeTask(TaskID(2))])
        #expect(state.dialog?.notice == nil)
        state.apply(.reply(.resumeRefused(.init(id: TaskID(2), name: "beta"), reason: "The cap of 2 background agents is reached.")), at: start)
        #expect(state.dialog?.notice == "Task #2 (beta) stays paused. The cap of 2 background agents is reached.")
        // A shell cannot be paused: the session says why, in the same place.
        state.apply(.reply(.notPausable(RenderFixtures.task(9, "server", kind: .shell))), at: start)
        #expect(state.dialog?.notice == "Task #9 (server) is not an agent: it cannot be paused.")
        // In the detail, the keys act on the task shown.
        #expect(press(.enter, into: &state) == [.fetchTranscript(TaskID(2))])
        #expect(press(.character("r"), into: &state) == [.resumeTask(TaskID(2))])
        #expect(press(.character("p"), into: &state) == [.pauseTask(TaskID(2))])
    }

    @Test("p, r and m on a row that ended between the frame and the key say so without asking the session")
    func keysOnARowThatEnded() {
        var state = dialogOnThree()
        _ = press(.down, into: &state)
        // Drawn running; ends before the key.
        state.apply(.task(.finished(RenderFixtures.task(2, "beta", status: .completed(summary: "ok")))), at: start)
        #expect(press(.character("p"), into: &state).isEmpty)
        #expect(state.dialog?.notice == "Task #2 (beta) is completed: it cannot be paused.")
        #expect(press(.character("r"), into: &state).isEmpty)
        #expect(state.dialog?.notice == "Task #2 (beta) is not paused (completed).")
        #expect(press(.character("m"), into: &state).isEmpty)
        #expect(state.dialog?.notice == "Task #2 (beta) is completed: message not sent.")
        #expect(state.dialog?.message == nil)
        #expect(state.dialog?.selectedTaskID == TaskID(2))
        // Ended in the registry, its end not yet seen here: the session refuses, the dialog shows it.
        _ = press(.home, .down, into: &state)
        #expect(state.dialog?.selectedTaskID == TaskID(3))
        #expect(press(.character("p"), into: &state) == [.pauseTask(TaskID(3))])
        let ended = RenderFixtures.task(3, "gamma", status: .failed(error: "boom"))
        state.apply(.reply(.notPausable(ended)), at: start)
        #expect(state.dialog?.notice == "Task #3 (gamma) is failed: it cannot be paused.")
        #expect(press(.character("m"), into: &state).isEmpty)
        _ = type("hi", into: &state)
        #expect(press(.enter, into: &state) == [.sendMessage(TaskID(3), "hi")])
        state.apply(.reply(.messageRefused(ended)), at: start)
        #expect(state.dialog?.notice == "Task #3 (gamma) is failed: message not sent.")
    }

    @Test("m types a message in the input row: every key is the message's, Enter sends it and the receipt shows; Esc cancels; the typed input waits")
    @MainActor
    func message() {
        var state = dialogOnThree()
        state.editor.setText("half a thought")
        _ = press(.control("t"), .control("t"), into: &state)
        RenderFixtures.layout(&state)
        #expect(press(.character("m"), into: &state).isEmpty)
        #expect(state.dialog?.message?.id == TaskID(1))
        // y, n, x, X, j, p and q are letters of the message here, not the dialog's keys.
        #expect(type("yes, nix Xj pq", into: &state).isEmpty)
        #expect(press(.paste("line one\nline two"), .up, .tab, into: &state).isEmpty)
        #expect(state.dialog?.selectedTaskID == TaskID(1))
        let screen = RenderFixtures.render(&state)
        let lines = screen.text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last?.hasPrefix("Message for #1 alpha › yes, nix Xj pqline one line two") == true)
        #expect(keyLine(&state) == "Enter sends the message · Esc cancels")
        #expect(screen.frame.cursor != nil)
        #expect(press(.enter, into: &state) == [.sendMessage(TaskID(1), "yes, nix Xj pqline one line two")])
        #expect(state.dialog?.message == nil)
        state.apply(.reply(.messageQueued(.init(id: TaskID(1), name: "alpha"), ahead: 1, paused: false)), at: start)
        #expect(state.dialog?.notice == "Message queued for #1 (alpha), 1 ahead.")
        #expect(keyLine(&state) == "Message queued for #1 (alpha), 1 ahead.")

        // Esc cancels the message and keeps the dialog; a blank line sends nothing.
        _ = press(.character("m"), into: &state)
        _ = type("never mind", into: &state)
        #expect(press(.escape, into: &state).isEmpty)
        #expect(state.dialog?.page == .list && state.dialog?.message == nil)
        #expect(press(.character("m"), .character(" "), .enter, into: &state).isEmpty)
        #expect(state.dialog?.message == nil)
        _ = press(.escape, into: &state)
        #expect(state.dialog == nil)
        #expect(state.editor.text == "half a thought")
    }

    @Test("an agent that ends while its message is typed refuses it at Enter, in the dialog; a shell takes no message")
    func messageToAnAgentThatEnded() {
        var state = dialogOnThree()
        _ = press(.character("m"), into: &state)
        _ = type("too late", into: &state)
        state.apply(.task(.finished(RenderFixtures.task(1, "alpha", status: .cancelled(by: .user)))), at: start)
        #expect(press(.enter, into: &state).isEmpty)
        #expect(state.dialog?.notice == "Task #1 (alpha) is cancelled: message not sent.")
        state.apply(.task(.started(RenderFixtures.task(4, "server", kind: .shell))), at: start)
        // Rows: #2, #3, #4 running, then #1 ended.
        _ = press(.home, .down, .down, into: &state)
        #expect(state.dialog?.selectedTaskID == TaskID(4))
        #expect(press(.character("m"), into: &state).isEmpty)
        #expect(state.dialog?.message == nil)
        #expect(state.dialog?.notice == "Task #4 (server) is running: message not sent.")
    }

    @Test("the message line shows a hostile agent name inert")
    @MainActor
    func hostileName() {
        var state = RenderFixtures.state(columns: 80, rows: 12)
        state.apply(.task(.started(RenderFixtures.task(1, "evil\u{1B}[2J\u{1B}]0;pwned\u{07}\u{202E}"))), at: start)
        state.openDialog()
        _ = press(.character("m"), into: &state)
        _ = type("hi", into: &state)
        let text = RenderFixtures.render(&state).text
        #expect(text.split(separator: "\n").allSatisfy { TerminalSanitizer.isInert($0) })
        #expect(text.contains("Message for #1 evil^[[2J"))
        // A refusal names it inert too.
        _ = press(.escape, into: &state)
        state.apply(.task(.finished(RenderFixtures.task(1, "evil\u{1B}[2J\u{1B}]0;pwned\u{07}\u{202E}", status: .completed(summary: "")))), at: start)
        _ = press(.character("p"), into: &state)
        let notice = state.dialog?.notice ?? ""
        #expect(notice.hasPrefix("Task #1 (evil^[[2J"))
        #expect(TerminalSanitizer.isInert(notice))
        #expect(RenderFixtures.render(&state).text.split(separator: "\n").allSatisfy { TerminalSanitizer.isInert($0) })
    }

    @Test("the bottom line lists the keys that apply to the selected row, long where they fit and short where not")
    @MainActor
    func hintLine() {
        var lines: [String] = []
        for columns in [120, 60] {
            var state = RenderFixtures.state(columns: columns, rows: 14)
            state.apply(.task(.started(RenderFixtures.task(1, "running"))), at: start)
            state.apply(.task(.started(RenderFixtures.task(2, "paused", status: .paused(step: 2, activity: nil)))), at: start)
            state.apply(.task(.started(RenderFixtures.task(3, "server", kind: .shell))), at: start)
            state.apply(.task(.started(RenderFixtures.task(4, "stopping", cancelRequested: .user))), at: start)
            state.apply(.task(.started(RenderFixtures.task(5, "asking"))), at: start)
            state.apply(.task(.finished(RenderFixtures.task(6, "done", status: .completed(summary: "ok")))), at: start)
            state.apply(.approvalRequested(request(1, task: 5)), at: start)
            state.openDialog()
            // Rows: #5 (asking) first, then #1…#4 running, then #6 ended.
            for row in 0..<6 {
                if row > 0 { _ = press(.down, into: &state) }
                lines.append("\(columns) #\(state.dialog?.selectedTaskID?.rawValue ?? 0): \(keyLine(&state))")
            }
            _ = press(.enter, into: &state)
            lines.append("\(columns) detail #\(state.dialog?.selectedTaskID?.rawValue ?? 0): \(keyLine(&state))")
        }
        SnapshotAssertion.assertSnapshot(lines.joined(separator: "\n") + "\n", named: "the task dialog's bottom line lists the keys that apply")
    }

    @Test("more tasks waiting for approval than fit on screen: listed first in the order they asked; it opens on the oldest; answered ones go back to their place")
    @MainActor
    func approvalsFirst() {
        var state = RenderFixtures.state(columns: 80, rows: 12)
        for id in 1...20 { state.apply(.task(.started(RenderFixtures.task(id, "a\(id)"))), at: start) }
        let askers = [17, 3, 12, 8, 20, 1, 15, 6, 11, 19, 4, 14]
        for (number, task) in askers.enumerated() { state.apply(.approvalRequested(request(number + 1, task: task)), at: start) }
        state.openDialog()
        let screen = RenderFixtures.render(&state).text
        let rows = state.dialog?.tree.rows.compactMap(\.taskID?.rawValue) ?? []
        #expect(rows == askers + [2, 5, 7, 9, 10, 13, 16, 18])
        #expect(state.dialog?.selectedTaskID == TaskID(17))
        #expect(screen.contains("Tasks (⚠ 12 need you · 20 running · 0 done)"))
        // 8 list rows on a 12-row screen: the first askers, oldest on top.
        let listed = screen.split(separator: "\n").dropFirst().prefix(8).map { $0.split(separator: " ").first(where: { $0.hasPrefix("#") }).map(String.init) ?? "" }
        #expect(listed == askers.prefix(8).map { "#\($0)" })
        #expect(keyLine(&state).hasPrefix("y approve · n deny"))
        // Down a page: still askers, in order.
        _ = press(.pageDown, into: &state)
        #expect(state.dialog?.selectedTaskID == TaskID(askers[7]))
        _ = press(.home, into: &state)
        // y answers the oldest; its task goes back among the running, the selection with it.
        #expect(press(.character("y"), into: &state) == [.answerApproval(id: 1, .once)])
        RenderFixtures.layout(&state)
        #expect(state.dialog?.tree.rows.first?.taskID == TaskID(3))
        #expect(state.dialog?.selectedTaskID == TaskID(17))
        // A second call of a task that already asks keeps its place; the answered event of a
        // request answered elsewhere drops it too.
        state.apply(.approvalRequested(request(99, task: 3)), at: start)
        state.apply(.approvalAnswered(id: 2, agent: AgentRef(name: "worker", taskID: TaskID(3)), answer: .once), at: start)
        RenderFixtures.layout(&state)
        #expect(state.dialog?.tree.rows.prefix(2).compactMap(\.taskID) == [TaskID(12), TaskID(8)])
        #expect(state.dialog?.tree.rows.firstIndex { $0.taskID == TaskID(3) } == 10)
    }
}
