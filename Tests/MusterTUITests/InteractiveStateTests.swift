@testable import MusterCore
import MusterPresentation
@testable import MusterTUI
import Testing

@Suite("Keys, signals and events in the interactive state")
struct InteractiveStateTests {
    private let start = ContinuousClock.now

    private func running(_ state: inout InteractiveState) {
        state.apply(.turnStart(turn: 1, trigger: .input("go")))
    }

    @Test("The main agent's running shell call (a foreground shell task of the top level) offers Ctrl+B; a sub-agent's shell task or a moved one does not")
    func ctrlBForTheMainAgentsShellCall() {
        var state = RenderFixtures.state()
        running(&state)
        #expect(!state.canMoveToBackground)
        do { let result = state.handle(.control("b"), now: start).isEmpty; #expect(result) }
        state.apply(.task(.started(RenderFixtures.task(1, "make test", mode: .foreground, spawner: .task(TaskID(9)), kind: .shell))))
        #expect(!state.canMoveToBackground)
        state.apply(.task(.started(RenderFixtures.task(2, "make test", mode: .foreground, kind: .shell))))
        #expect(state.canMoveToBackground)
        do { let result = state.handle(.control("b"), now: start); #expect(result == [.moveToBackground]) }
        state.apply(.task(.updated(RenderFixtures.task(2, "make test", mode: .background, kind: .shell))))
        #expect(!state.canMoveToBackground)
    }

    @Test("Esc cancels the running turn once; at an idle prompt it does not")
    func escape() {
        var state = RenderFixtures.state()
        do { let result = state.handle(.escape, now: start).isEmpty; #expect(result) }
        running(&state)
        do { let result = state.handle(.escape, now: start); #expect(result == [.interrupt]) }
        do { let result = state.handle(.escape, now: start).isEmpty; #expect(result) }
        #expect(state.interrupting)
        state.apply(.turnEnd(turn: 1, outcome: .cancelled))
        #expect(!state.interrupting)
        #expect(state.transcript.texts.contains("Turn interrupted."))
    }

    @Test("Ctrl-C cancels the running turn and never quits while one runs")
    func interruptTurn() {
        var state = RenderFixtures.state()
        running(&state)
        do { let result = state.interruptSignal(now: start); #expect(result == [.interrupt]) }
        do { let result = state.interruptSignal(now: start.advanced(by: .milliseconds(100))).isEmpty; #expect(result) }
    }

    @Test("Ctrl-C twice within a second at an idle prompt quits with the interrupt code")
    func doubleInterrupt() {
        var state = RenderFixtures.state()
        do { let result = state.interruptSignal(now: start).isEmpty; #expect(result) }
        #expect(state.hint?.text == "Press Ctrl-C again to quit")
        do { let result = state.interruptSignal(now: start.advanced(by: .milliseconds(900))); #expect(result == [.quit(.interrupted)]) }
        #expect(RunEnding.interrupted.exitCode == 130)
    }

    @Test("two Ctrl-C more than a second apart do not quit, and the hint goes away")
    func slowInterrupts() {
        var state = RenderFixtures.state()
        _ = state.interruptSignal(now: start)
        do { let result = state.expireHint(now: start.advanced(by: .milliseconds(1001))); #expect(result) }
        #expect(state.hint == nil)
        do { let result = state.interruptSignal(now: start.advanced(by: .milliseconds(1500))).isEmpty; #expect(result) }
    }

    @Test("Ctrl-C with text typed clears the text instead")
    func clearText() {
        var state = RenderFixtures.state()
        state.editor.setText("half a thought")
        do { let result = state.interruptSignal(now: start).isEmpty; #expect(result) }
        #expect(state.editor.isEmpty)
        #expect(state.hint == nil)
    }

    @Test("Ctrl-D on an empty line quits as /quit does, asking first while agents run")
    func controlD() {
        var state = RenderFixtures.state()
        do { let result = state.handle(.control("d"), now: start); #expect(result == [.requestQuit]) }
        #expect(RunEnding.quit.exitCode == 0)
        #expect(RunEnding.terminated.exitCode == 143)
    }

    @Test("Enter sends text to the agent, and commands to the session; a command is echoed, then its reply")
    func submit() {
        var state = RenderFixtures.state()
        state.editor.setText("find the TODOs")
        do { let result = state.handle(.enter, now: start); #expect(result == [.submit("find the TODOs")]) }
        state.editor.setText("  /tasks show 9  ")
        do { let result = state.handle(.enter, now: start); #expect(result == [.command("/tasks show 9")]) }
        #expect(state.transcript.texts.isEmpty)
        reply(.noSuchTask(TaskID(9)), to: "/tasks show 9", into: &state)
        #expect(state.transcript.texts == ["› /tasks show 9", "No task #9."])
        do { let result = state.handle(.enter, now: start).isEmpty; #expect(result) }
    }

    @Test("input typed while a turn runs waits, dimmed and marked queued under the transcript, and goes when the turn ends")
    func queuedInput() {
        var state = RenderFixtures.state()
        running(&state)
        state.apply(.textDelta(agent: .main, text: "Half a sen"))
        state.editor.setText("next question")
        do { let result = state.handle(.enter, now: start); #expect(result.isEmpty) }
        state.editor.setText("and another")
        do { let result = state.handle(.enter, now: start); #expect(result.isEmpty) }
        #expect(state.queued == ["next question", "and another"])
        #expect(state.trailingLines.map(\.text) == ["Half a sen", "› next question  · queued", "› and another  · queued"])
        #expect(state.trailingLines.dropFirst().allSatisfy { $0.style == .dim })
        #expect(state.transcript.texts.isEmpty)
        state.apply(.textDelta(agent: .main, text: "tence.\n"))
        state.apply(.turnEnd(turn: 1, outcome: .completed(text: "Half a sentence.")))
        // One at a time: the second waits for the first one's turn to start and end.
        do { let result = state.releaseQueued(); #expect(result == [.submit("next question")]) }
        do { let result = state.releaseQueued(); #expect(result.isEmpty) }
        state.apply(.userInput(text: "next question"))
        state.apply(.turnStart(turn: 2, trigger: .input("next question")))
        do { let result = state.releaseQueued(); #expect(result.isEmpty) }
        state.apply(.turnEnd(turn: 2, outcome: .completed(text: "")))
        do { let result = state.releaseQueued(); #expect(result == [.submit("and another")]) }
        #expect(state.transcript.texts.prefix(3) == ["Half a sentence.", "", "› next question"])
    }

    @Test("Up or Esc on an empty input takes the newest queued line back to edit; Esc then interrupts")
    func takeBackQueued() {
        var state = RenderFixtures.state()
        running(&state)
        for line in ["first", "second"] {
            state.editor.setText(line)
            _ = state.handle(.enter, now: start)
        }
        do { let result = state.handle(.up, now: start); #expect(result.isEmpty) }
        #expect(state.editor.text == "second")
        #expect(state.queued == ["first"])
        _ = state.handle(.control("u"), now: start)
        do { let result = state.handle(.escape, now: start); #expect(result.isEmpty) }
        #expect(state.editor.text == "first")
        #expect(state.queued.isEmpty)
        _ = state.handle(.control("u"), now: start)
        do { let result = state.handle(.escape, now: start); #expect(result == [.interrupt]) }
        state.apply(.turnEnd(turn: 1, outcome: .cancelled))
        do { let result = state.releaseQueued(); #expect(result.isEmpty) }
    }

    @Test("a streamed answer is never split: command output and a background agent's end go above it")
    func streamedAnswerStaysWhole() {
        var state = RenderFixtures.state()
        running(&state)
        state.apply(.textDelta(agent: .main, text: "First line of the answer.\nSecond li"))
        state.editor.setText("/tasks show 9")
        do { let result = state.handle(.enter, now: start); #expect(result == [.command("/tasks show 9")]) }
        reply(.noSuchTask(TaskID(9)), to: "/tasks show 9", into: &state)
        state.apply(.task(.finished(RenderFixtures.task(1, "explore", status: .completed(summary: "")))))
        state.apply(.textDelta(agent: .main, text: "ne of it.\n"))
        state.apply(.assistantMessage(agent: .main, text: "First line of the answer.\nSecond line of it.\n"))
        let texts = state.transcript.texts
        #expect(texts.count == 5)
        #expect(Array(texts.prefix(2)) == ["› /tasks show 9", "No task #9."])
        #expect(texts[2].hasPrefix("Background agent \"explore\" completed"))
        #expect(Array(texts.suffix(2)) == ["First line of the answer.", "Second line of it."])
        #expect(state.liveLines.isEmpty)
    }

    @Test("commands typed ahead run one at a time with their output in order: /clear does not wipe the /tasks show after it")
    func commandsInOrder() {
        var state = RenderFixtures.state()
        state.append([TranscriptLine("old")])
        state.editor.setText("/clear")
        do { let result = state.handle(.enter, now: start); #expect(result == [.command("/clear")]) }
        state.editor.setText("/tasks show 9")
        do { let result = state.handle(.enter, now: start); #expect(result.isEmpty) }
        state.editor.setText("hello")
        do { let result = state.handle(.enter, now: start); #expect(result.isEmpty) }
        reply(.clearTranscript, to: "/clear", into: &state)
        do { let result = state.releaseQueued(); #expect(result == [.command("/tasks show 9")]) }
        reply(.noSuchTask(TaskID(9)), to: "/tasks show 9", into: &state)
        do { let result = state.releaseQueued(); #expect(result == [.submit("hello")]) }
        #expect(state.transcript.texts == ["› /tasks show 9", "No task #9."])
    }

    @Test("commands can be typed while a turn runs")
    func commandsDuringTurn() {
        var state = RenderFixtures.state()
        running(&state)
        state.editor.setText("/tasks stop 2")
        do { let result = state.handle(.enter, now: start); #expect(result == [.command("/tasks stop 2")]) }
    }


    /// The events of a command line the app sent: its echo, then its reply.
    private func reply(_ reply: CommandReply, to line: String, into state: inout InteractiveState) {
        state.apply(.slashCommand(command: line))
        state.apply(.reply(reply))
    }

    private func type(_ text: String, into state: inout InteractiveState) -> [AppIntent] {
        text.flatMap { state.handle(.character($0), now: start) }
    }

    @Test("a confirmation takes a whole line: yes then Enter answers, and none of it reaches the agent")
    func confirmationTakesALine() {
        var state = RenderFixtures.state()
        let request = ConfirmationRequest(.cancelAll, count: 3)
        state.apply(.reply(.confirm(request)))
        do { let result = type("yes", into: &state); #expect(result.isEmpty) }
        #expect(state.confirmation == request)
        #expect(state.answerLine.text == "yes")
        do { let result = state.handle(.enter, now: start); #expect(result == [.answer(true)]) }
        #expect(state.confirmation == nil)
        #expect(state.editor.isEmpty)
        #expect(state.transcript.texts.last == "Cancel 3 running tasks? (y/n) yes")
        // Enter again at the empty prompt sends nothing anywhere.
        do { let result = state.handle(.enter, now: start); #expect(result.isEmpty) }
        state.ask(request)
        do { let result = type("NO", into: &state) + state.handle(.enter, now: start); #expect(result == [.answer(false)]) }
    }

    @Test("at a confirmation anything but y, yes, n or no asks again, an empty line too")
    func confirmationAsksAgain() {
        var state = RenderFixtures.state()
        let request = ConfirmationRequest(.cancelAll, count: 3)
        state.ask(request)
        for typed in ["es", "", "yes please", "o"] {
            do { let result = type(typed, into: &state) + state.handle(.enter, now: start); #expect(result.isEmpty) }
            #expect(state.confirmation == request)
            #expect(state.answerLine.isEmpty)
            #expect(state.hint?.text == "Answer y or n")
        }
        do { let result = type("Y", into: &state) + state.handle(.enter, now: start); #expect(result == [.answer(true)]) }
    }

    @Test("Esc, Ctrl-C or Ctrl-D at a confirmation say no; the draft in the input is kept")
    func confirmationDeclines() {
        var state = RenderFixtures.state()
        let request = ConfirmationRequest(.cancelAll, count: 3)
        state.editor.setText("half a thought")
        state.ask(request)
        do { let result = state.handle(.escape, now: start); #expect(result == [.answer(false)]) }
        state.ask(request)
        _ = type("y", into: &state)
        do { let result = state.interruptSignal(now: start); #expect(result == [.answer(false)]) }
        state.ask(request)
        do { let result = state.handle(.control("d"), now: start); #expect(result == [.answer(false)]) }
        #expect(state.editor.text == "half a thought")
    }

    @Test("/clear empties the transcript; /quit adds nothing to it (the app leaves)")
    func effects() {
        var state = RenderFixtures.state()
        state.append([TranscriptLine("old")])
        reply(.clearTranscript, to: "/clear", into: &state)
        #expect(state.transcript.count == 0)
        reply(.quit, to: "/quit", into: &state)
        #expect(state.transcript.texts == ["› /quit"])
        #expect(state.confirmation == nil)
    }

    @Test("Tab with several candidates lists them in the status line")
    func completions() {
        var state = RenderFixtures.state()
        state.editor.setText("/c")
        do { let result = state.handle(.tab, now: start).isEmpty; #expect(result) }
        #expect(state.hint?.text == "/cancel  /clear")
        _ = state.handle(.character("l"), now: start)
        #expect(state.hint == nil)
    }

    @Test("Tab after /tasks stop offers the tasks still running, not the finished ones")
    func completesRunningTaskIDs() {
        var state = RenderFixtures.state()
        state.apply(.task(.started(RenderFixtures.task(1, "alpha"))))
        state.apply(.task(.started(RenderFixtures.task(2, "beta"))))
        state.apply(.task(.finished(RenderFixtures.task(1, "alpha", status: .completed(summary: "")))))
        state.editor.setText("/tasks stop ")
        _ = state.handle(.tab, now: start)
        #expect(state.editor.text == "/tasks stop 2 ")
    }

    @Test("the mouse wheel scrolls the transcript three rows a notch, also at a question")
    func wheelScrolls() {
        var state = RenderFixtures.state()
        state.append((1...40).map { TranscriptLine("line \($0)") })
        do { let result = state.handle(.wheelUp, now: start); #expect(result.isEmpty) }
        #expect(state.transcript.scrollOffset == 3)
        state.ask(ConfirmationRequest(.cancelAll, count: 3))
        _ = state.handle(.wheelUp, now: start)
        #expect(state.transcript.scrollOffset == 6)
        _ = state.handle(.wheelDown, now: start)
        #expect(state.transcript.scrollOffset == 3)
        #expect(state.answerLine.isEmpty)
        #expect(state.editor.isEmpty)
    }

    @Test("the tick is needed only while something runs, or a finished agent lingers in the panel")
    func ticks() {
        var state = RenderFixtures.state()
        #expect(!state.needsTicks)
        state.apply(.task(.started(RenderFixtures.task(1, "explore"))), at: start)
        #expect(state.needsTicks)
        state.apply(.task(.finished(RenderFixtures.task(1, "explore", status: .completed(summary: "")))), at: start)
        #expect(state.needsTicks)
        state.tick(at: start.advanced(by: AgentsPanel.lingering))
        #expect(!state.needsTicks)
        running(&state)
        #expect(state.needsTicks)
    }

    @Test("sub-agent chatter does not ask for a redraw; registry transitions do")
    func redrawNeeds() {
        var state = RenderFixtures.state()
        let sub = AgentRef(name: "explore", taskID: TaskID(1))
        do { let result = state.apply(.textDelta(agent: sub, text: "hmm")); #expect(!result) }
        do { let result = state.apply(.modelUsage(agent: sub, usage: Usage())); #expect(!result) }
        do { let result = state.apply(.task(.started(RenderFixtures.task(1, "explore")))); #expect(result) }
        do { let result = state.apply(.textDelta(agent: .main, text: "Hi")); #expect(result) }
    }

    @Test("after exit the transcript's last screenful stays on the normal screen, then the summary with the session")
    func farewell() {
        var state = RenderFixtures.state()
        state.append((1...100).map { TranscriptLine("line \($0)") })
        state.transcript.scroll(by: 10, width: state.size.columns, height: state.transcriptHeight)
        state.apply(.textDelta(agent: .main, text: "last words\n"))
        let text = state.farewell(summary: "No background agents were running at exit.", session: "Session abc · log: /tmp/s.jsonl")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        #expect(lines.count == state.size.rows - 1)
        #expect(lines.suffix(3) == ["line 100", "last words", "No background agents were running at exit. Session abc · log: /tmp/s.jsonl"])
    }

    @Test("after closing, keys and signals are ignored")
    func closing() {
        var state = RenderFixtures.state()
        state.close("Stopping 2 background agents…")
        do { let result = state.handle(.control("d"), now: start).isEmpty; #expect(result) }
        do { let result = state.interruptSignal(now: start).isEmpty; #expect(result) }
    }

    @Test("plain mode is chosen for --plain and for a dumb or missing TERM")
    func plainMode() {
        #expect(FrontEnd.shouldUsePlainMode(FrontEndOptions(forcePlain: true, environment: ["TERM": "xterm"])))
        #expect(FrontEnd.shouldUsePlainMode(FrontEndOptions(environment: ["TERM": "dumb"])))
        #expect(FrontEnd.shouldUsePlainMode(FrontEndOptions(environment: [:])))
    }
}
