@testable import MusterCore
import MusterPresentation
@testable import MusterTUI
import Testing

@Suite("Approvals in the interactive state: inline for the main agent, pill and dialog for the rest")
struct ApprovalPromptTests {
    private let start = ContinuousClock.now
    private let hostile = "rm -rf build \u{1B}[2J\u{1B}]0;pwned\u{07} \u{202E}gnp.exe"

    private func request(_ id: Int, task: Int? = nil, subject: ApprovalSubject? = nil) -> ApprovalRequest {
        ApprovalRequest(
            id: id, agent: task.map { AgentRef(name: "worker", taskID: TaskID($0)) } ?? .main, callID: "c\(id)", tool: "shell",
            subject: subject ?? .shell(command: hostile, directory: "/work/\u{1B}[31mred")
        )
    }

    private func type(_ text: String, into state: inout InteractiveState) -> [AppIntent] {
        text.flatMap { state.handle(.character($0), now: start) }
    }

    @Test("The main agent's request is asked in the input line; y, a and n reason answer it; nothing typed reaches the agent")
    func inlineAnswers() {
        var state = RenderFixtures.state()
        state.apply(.turnStart(turn: 1, trigger: .input("go")))
        state.apply(.approvalRequested(request(1)))
        #expect(state.approvals.map(\.id) == [1])
        #expect(type("y", into: &state).isEmpty)
        #expect(state.handle(.enter, now: start) == [.answerApproval(id: 1, .once)])
        #expect(state.approvals.isEmpty)
        #expect(state.editor.isEmpty)

        state.apply(.approvalRequested(request(2)))
        _ = type("maybe", into: &state)
        #expect(state.handle(.enter, now: start).isEmpty)
        #expect(state.hint?.text == "Answer y (once), a (always) or n [reason] (deny)")
        _ = type("a", into: &state)
        #expect(state.handle(.enter, now: start) == [.answerApproval(id: 2, .always)])

        state.apply(.approvalRequested(request(3)))
        _ = type("n use make clean", into: &state)
        #expect(state.handle(.enter, now: start) == [.answerApproval(id: 3, .deny(reason: "use make clean"))])
    }

    @Test("Esc and Ctrl-C deny instead of interrupting the turn")
    func escapeDenies() {
        var state = RenderFixtures.state()
        state.apply(.turnStart(turn: 1, trigger: .input("go")))
        state.apply(.approvalRequested(request(1)))
        #expect(state.handle(.escape, now: start) == [.answerApproval(id: 1, .deny(reason: nil))])
        state.apply(.approvalRequested(request(2)))
        #expect(state.interruptSignal(now: start) == [.answerApproval(id: 2, .deny(reason: nil))])
        #expect(!state.interrupting)
    }

    @Test("A request answered elsewhere (or whose call was stopped) leaves the input line")
    func answeredElsewhere() {
        var state = RenderFixtures.state()
        state.apply(.approvalRequested(request(1)))
        state.apply(.approvalAnswered(id: 1, agent: .main, answer: .deny(reason: nil)))
        #expect(state.approvals.isEmpty)
        #expect(type("hi", into: &state).isEmpty)
        #expect(state.editor.text == "hi")
    }

    @MainActor
    @Test("The prompt, the command, its directory and a diff are drawn inert: no escape byte reaches the screen")
    func inertPrompt() {
        var state = RenderFixtures.state(columns: 100, rows: 16)
        let diff = "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old \u{1B}[2J\n+new \u{1B}]52;c;cHduZWQ=\u{07}\n"
        state.apply(.approvalRequested(request(1)))
        state.apply(.approvalRequested(ApprovalRequest(id: 2, agent: .main, callID: "e", tool: "edit_file", subject: .edit(path: "x\u{1B}[1m", diff: diff, summary: "(+1 −1)"))))
        let screen = RenderFixtures.render(&state).text
        #expect(!screen.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{07}" || $0 == "\u{202E}" })
        #expect(screen.contains("$ rm -rf build ^[[2J^[]0;pwned^G <U+202E>gnp.exe"))
        #expect(screen.contains("in /work/^[[31mred"))
        #expect(screen.contains("-old ^[[2J"))
        #expect(screen.contains("+new ^[]52;c;cHduZWQ=^G"))
        #expect(screen.contains(ApprovalText.prompt))
    }

    @MainActor
    @Test("A background agent's request shows in the pill; the dialog opens on it and y answers it")
    func backgroundInDialog() {
        var state = RenderFixtures.state(columns: 100, rows: 20)
        let task = RenderFixtures.task(4, "worker")
        state.apply(.task(.started(task)))
        state.apply(.approvalRequested(request(7, task: 4)))
        #expect(state.pill.text.contains("⚠ 1 needs you"))
        #expect(state.approvals.isEmpty)
        // Typing at the prompt is ordinary input: the background request does not take it.
        #expect(type("x", into: &state).isEmpty)
        #expect(state.editor.text == "x")
        state.apply(.task(.started(RenderFixtures.task(5, "newer"))))
        state.openDialog()
        // It opens on the asking task, although a newer one comes first in the list.
        #expect(state.dialog?.selectedTaskID == TaskID(4))
        #expect(RenderFixtures.render(&state).text.contains("y approve · n deny"))
        #expect(state.handle(.character("y"), now: start) == [.answerApproval(id: 7, .once)])
        state.apply(.approvalAnswered(id: 7, agent: AgentRef(name: "worker", taskID: TaskID(4)), answer: .once))
        #expect(!state.pill.text.contains("needs you"))
    }
}

@Suite("Approvals in plain mode")
struct PlainApprovalTests {
    @Test("The main agent's request prints inert with the prompt; the next line answers it; a background one shows in the pill line")
    func plainAnswers() async {
        let output = PlainConsoleTests.Output()
        let console = PlainConsole(pill: PillState(cap: 10), echoInput: false, output: output.append)
        let main = ApprovalRequest(id: 1, agent: .main, callID: "c", tool: "shell", subject: .shell(command: "make \u{1B}[2Jclean", directory: "/w"))
        await console.handle(.approvalRequested(main))
        #expect(output.value.contains("    $ make ^[[2Jclean\n"))
        #expect(output.value.hasSuffix(ApprovalText.prompt + "\n"))
        #expect(!output.value.unicodeScalars.contains("\u{1B}"))
        let unclear = await console.approvalAnswer(to: "perhaps")
        #expect(unclear?.id == 1 && unclear?.answer == nil)
        let denied = await console.approvalAnswer(to: "no  not now ")
        #expect(denied?.id == 1 && denied?.answer == .deny(reason: "not now"))
        #expect(await console.approvalAnswer(to: "hello") == nil)

        let worker = AgentRef(name: "worker", taskID: TaskID(3))
        await console.handle(.approvalRequested(ApprovalRequest(id: 2, agent: worker, callID: "d", tool: "shell", subject: .shell(command: "make", directory: "/w"))))
        #expect(output.value.contains("[0/10 agents · ⚠ 1 needs you]"))
        #expect(await console.approvalAnswer(to: "y") == nil, "a background request does not take typed lines")
        await console.handle(.approvalAnswered(id: 2, agent: worker, answer: .once))
        #expect(output.value.hasSuffix("[0/10 agents]\n"))
    }

    @Test("Quitting with calls waiting for approval says so")
    func quitPrompt() {
        #expect(ConfirmationRequest(.quit, count: 1, approvals: 1).prompt == "1 background agent is running (1 call waits for your approval). Stop it and quit? (y/n)")
        #expect(ConfirmationRequest(.quit, count: 2, approvals: 2).prompt == "2 background agents are running (2 calls wait for your approval). Stop them and quit? (y/n)")
    }
}
