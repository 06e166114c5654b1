@testable import MusterCore
import MusterPresentation
@testable import MusterTUI
import Synchronization
import Testing

@Suite("Plain mode output")
struct PlainConsoleTests {
    /// Collects what the console writes.
    final class Output: Sendable {
        private let text = Mutex("")
        var value: String { text.withLock { $0 } }
        func append(_ more: String) { text.withLock { $0 += more } }
    }

    @Test("the pill is printed as a line whenever it changes, and only then")
    func pillLines() async {
        let output = Output()
        let console = PlainConsole(pill: PillState(cap: 10), echoInput: false, output: output.append)
        await console.handle(.task(.started(RenderFixtures.task(1, "explore", status: .pending))))
        await console.handle(.task(.updated(RenderFixtures.task(1, "explore"))))
        await console.handle(.task(.started(RenderFixtures.task(2, "grep"))))
        await console.handle(.task(.finished(RenderFixtures.task(1, "explore", status: .completed(summary: "ok"), age: .milliseconds(2500)))))
        await console.handle(.task(.resultsWaiting(.topLevel, count: 1)))
        #expect(output.value == """
            [1/10 agents]
            [2/10 agents]
            Background agent "explore" completed (task #1, 2.5s · 0 tokens · 0 tools).
            [1/10 agents]
            [1/10 agents · 1 done]

            """)
    }

    @Test("after hidePill, transitions print their transcript lines but no pill")
    func hiddenPill() async {
        let output = Output()
        let console = PlainConsole(pill: PillState(cap: 10), echoInput: false, output: output.append)
        await console.hidePill()
        await console.handle(.task(.started(RenderFixtures.task(1, "explore"))))
        await console.handle(.task(.finished(RenderFixtures.task(1, "explore", status: .cancelled(by: .shutdown), age: .seconds(1)))))
        #expect(output.value == "Background agent \"explore\" was cancelled (task #1, 1.0s · 0 tokens · 0 tools).\n")
    }

    @Test("the person's lines are echoed only when asked, commands included")
    func echo() async {
        let quiet = Output()
        let onTerminal = PlainConsole(pill: PillState(cap: 10), echoInput: false, output: quiet.append)
        await onTerminal.handle(.userInput(text: "hello"))
        await onTerminal.handle(.slashCommand(command: "/tasks"))
        #expect(quiet.value.isEmpty)

        let piped = Output()
        let fromPipe = PlainConsole(pill: PillState(cap: 10), echoInput: true, output: piped.append)
        await fromPipe.handle(.userInput(text: "hello"))
        await fromPipe.handle(.slashCommand(command: "/tasks"))
        #expect(piped.value == "› hello\n› /tasks\n")
    }

    @Test("a command's reply is printed; a question goes on a line of its own and is asked again after an unclear answer")
    func replies() async {
        let output = Output()
        let console = PlainConsole(pill: PillState(cap: 10), echoInput: false, output: output.append)
        await console.handle(.slashCommand(command: "/cancel all"))
        await console.handle(.reply(.confirm(ConfirmationRequest(.cancelAll, count: 2))))
        await console.handle(.reply(.unclearAnswer(ConfirmationRequest(.cancelAll, count: 2))))
        await console.handle(.reply(.declined(.cancelAll)))
        await console.handle(.reply(.noSuchTask(TaskID(7))))
        #expect(output.value == """
            Cancel 2 running tasks? (y/n)
            Answer y or n. Cancel 2 running tasks? (y/n)
            Nothing was cancelled.
            No task #7.

            """)
    }

    @Test("Ctrl-C knows from the events whether a turn runs")
    func turnRunning() async {
        let console = PlainConsole(pill: PillState(cap: 10), echoInput: false, output: { _ in })
        #expect(await console.turnRunning == false)
        await console.handle(.turnStart(turn: 1, trigger: .input("hi")))
        #expect(await console.turnRunning)
        await console.handle(.turnEnd(turn: 1, outcome: .cancelled))
        #expect(await console.turnRunning == false)
    }

    @Test("streamed text is printed line by line, and the rest when the message ends")
    func streamedText() async {
        let output = Output()
        let console = PlainConsole(pill: PillState(cap: 10), echoInput: false, output: output.append)
        await console.handle(.textDelta(agent: .main, text: "one\ntw"))
        #expect(output.value == "one\n")
        await console.handle(.textDelta(agent: .main, text: "o"))
        await console.handle(.assistantMessage(agent: .main, text: "one\ntwo"))
        #expect(output.value == "one\ntwo\n")
    }
}
