@testable import MusterCore
@testable import MusterTUI
import Testing

@Suite("Keys, signals and events in the interactive state")
struct InteractiveStateTests {
    private let start = ContinuousClock.now

    private func running(_ state: inout InteractiveState) {
        state.apply(.turnStarted(turn: 1, trigger: .input("go")))
    }

    @Test("Esc cancels the running turn once; at an idle prompt it does not")
    func escape() {
        var state = RenderFixtures.state()
        do { let result = state.handle(.escape, now: start).isEmpty; #expect(result) }
        running(&state)
        do { let result = state.handle(.escape, now: start); #expect(result == [.interrupt]) }
        do { let result = state.handle(.escape, now: start).isEmpty; #expect(result) }
        #expect(state.interrupting)
        state.apply(.turnEnded(turn: 1, outcome: .cancelled))
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
        do { let result = state.interruptSignal(now: start.advanced(by: .milliseconds(900))); #expect(result == [.quit(.interrupt)]) }
        #expect(ExitReason.interrupt.exitCode == 130)
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
        #expect(ExitReason.quit.exitCode == 0)
        #expect(ExitReason.terminate.exitCode == 143)
    }

    @Test("Enter sends text to the agent, and commands to the processor with an echo")
    func submit() {
        var state = RenderFixtures.state()
        state.editor.setText("find the TODOs")
        do { let result = state.handle(.enter, now: start); #expect(result == [.submit("find the TODOs")]) }
        state.editor.setText("  /tasks  ")
        do { let result = state.handle(.enter, now: start); #expect(result == [.command("/tasks")]) }
        #expect(state.transcript.texts.last == "› /tasks")
        do { let result = state.handle(.enter, now: start).isEmpty; #expect(result) }
    }

    @Test("commands can be typed while a turn runs")
    func commandsDuringTurn() {
        var state = RenderFixtures.state()
        running(&state)
        state.editor.setText("/tasks stop 2")
        do { let result = state.handle(.enter, now: start); #expect(result == [.command("/tasks stop 2")]) }
    }

    private func type(_ text: String, into state: inout InteractiveState) -> [AppIntent] {
        text.flatMap { state.handle(.character($0), now: start) }
    }

    @Test("a confirmation takes a whole line: yes then Enter answers, and none of it reaches the agent")
    func confirmationTakesALine() {
        var state = RenderFixtures.state()
        let request = ConfirmationRequest(prompt: "Cancel 3 running tasks? (y/n)", action: .cancelAll)
        do { let result = state.show(CommandResult(effect: .confirm(request))); #expect(result == nil) }
        do { let result = type("yes", into: &state); #expect(result.isEmpty) }
        #expect(state.confirmation == request)
        #expect(state.answerLine.text == "yes")
        do { let result = state.handle(.enter, now: start); #expect(result == [.answer(true, request)]) }
        #expect(state.confirmation == nil)
        #expect(state.editor.isEmpty)
        #expect(state.transcript.texts.last == "Cancel 3 running tasks? (y/n) yes")
        // Enter again at the empty prompt sends nothing anywhere.
        do { let result = state.handle(.enter, now: start); #expect(result.isEmpty) }
        state.ask(request)
        do { let result = type("NO", into: &state) + state.handle(.enter, now: start); #expect(result == [.answer(false, request)]) }
    }

    @Test("at a confirmation anything but y, yes, n or no asks again, an empty line too")
    func confirmationAsksAgain() {
        var state = RenderFixtures.state()
        let request = ConfirmationRequest(prompt: "Cancel 3 running tasks? (y/n)", action: .cancelAll)
        state.ask(request)
        for typed in ["es", "", "yes please", "o"] {
            do { let result = type(typed, into: &state) + state.handle(.enter, now: start); #expect(result.isEmpty) }
            #expect(state.confirmation == request)
            #expect(state.answerLine.isEmpty)
            #expect(state.hint?.text == "Answer y or n")
        }
        do { let result = type("Y", into: &state) + state.handle(.enter, now: start); #expect(result == [.answer(true, request)]) }
    }

    @Test("Esc, Ctrl-C or Ctrl-D at a confirmation say no; the draft in the input is kept")
    func confirmationDeclines() {
        var state = RenderFixtures.state()
        let request = ConfirmationRequest(prompt: "Cancel 3 running tasks? (y/n)", action: .cancelAll)
        state.editor.setText("half a thought")
        state.ask(request)
        do { let result = state.handle(.escape, now: start); #expect(result == [.answer(false, request)]) }
        state.ask(request)
        _ = type("y", into: &state)
        do { let result = state.interruptSignal(now: start); #expect(result == [.answer(false, request)]) }
        state.ask(request)
        do { let result = state.handle(.control("d"), now: start); #expect(result == [.answer(false, request)]) }
        #expect(state.editor.text == "half a thought")
    }

    @Test("/clear empties the transcript and /quit is handed to the app")
    func effects() {
        var state = RenderFixtures.state()
        state.append([TranscriptLine("old")])
        do { let result = state.show(CommandResult(effect: .clearTranscript)); #expect(result == nil) }
        #expect(state.transcript.count == 0)
        do { let result = state.show(CommandResult(effect: .quit)); #expect(result == .quit) }
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

    @Test("the tick is needed only while something runs")
    func ticks() {
        var state = RenderFixtures.state()
        #expect(!state.needsTicks)
        state.apply(.task(.started(RenderFixtures.task(1, "explore"))))
        #expect(state.needsTicks)
        state.apply(.task(.finished(RenderFixtures.task(1, "explore", status: .completed(summary: "")))))
        #expect(!state.needsTicks)
        running(&state)
        #expect(state.needsTicks)
    }

    @Test("sub-agent chatter does not ask for a redraw; registry transitions do")
    func redrawNeeds() {
        var state = RenderFixtures.state()
        let sub = AgentRef(name: "explore", taskID: TaskID(1))
        do { let result = state.apply(.textDelta(agent: sub, text: "hmm")); #expect(!result) }
        do { let result = state.apply(.modelTurnEnded(agent: sub, usage: Usage())); #expect(!result) }
        do { let result = state.apply(.task(.started(RenderFixtures.task(1, "explore")))); #expect(result) }
        do { let result = state.apply(.textDelta(agent: .main, text: "Hi")); #expect(result) }
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
