import Clocks
@testable import MusterCore
import MusterPresentation
import Testing

@Suite("Slash command execution")
struct CommandsProcessorTests {
    private func lines(_ reply: CommandReply, helpFooter: [String] = []) -> [TranscriptLine] {
        ReplyFormatter.lines(for: reply, helpFooter: helpFooter)
    }
    private func texts(_ reply: CommandReply) -> [String] { lines(reply).map(\.text) }

    @Test("/tasks stop stops the task through the registry and says so")
    func stopRunning() async throws {
        let fixture = CommandsFixture()
        let processor = CommandProcessor(registry: fixture.registry)
        let explore = try await fixture.startRunning("explore")
        await fixture.clock.advance(by: .milliseconds(3200))

        let result = await processor.run("/tasks stop \(explore.id.rawValue)")
        #expect(texts(result) == ["Stopping task #1 (explore)…"])
        let ended = try #require(await fixture.waitForEnd(of: explore.id))
        #expect(ended.status == .cancelled(by: .user))
        #expect(TranscriptFormatter.completionLine(for: ended)?.text == "Background agent \"explore\" was cancelled (task #1, 3.2s · 0 tokens · 0 tools).")
    }

    @Test("/cancel with #id stops the task too; asking again says it is already stopping")
    func cancelTwice() async throws {
        let fixture = CommandsFixture()
        let processor = CommandProcessor(registry: fixture.registry)
        // A body that ignores cancellation until released, so the second request finds it stopping.
        let (gate, open) = AsyncStream<Void>.makeStream()
        let id = try await fixture.registry.start(.init(name: "grep", description: "grep", mode: .background)) { _ in
            // An unstructured task does not inherit the cancellation: this body ignores it.
            await Task { for await _ in gate {} }.value
            return "done"
        }
        #expect(texts(await processor.run("/cancel #1")) == ["Stopping task #1 (grep)…"])
        #expect(texts(await processor.run("/cancel 1")) == ["Task #1 (grep) is already stopping…"])
        open.finish()
        await fixture.waitForEnd(of: id)
    }

    @Test("stopping an unknown id says there is no such task")
    func stopUnknown() async {
        let processor = CommandProcessor(registry: CommandsFixture().registry)
        #expect(texts(await processor.run("/tasks stop 99")) == ["No task #99."])
        #expect(texts(await processor.run("/tasks show #99")) == ["No task #99."])
    }

    @Test("stopping an ended task names the state it ended in")
    func stopEnded() async throws {
        let fixture = CommandsFixture()
        let processor = CommandProcessor(registry: fixture.registry)
        let done = try await fixture.startRunning("explore")
        done()
        await fixture.waitForEnd(of: done.id)
        let broken = try await fixture.startRunning("grep", outcome: { throw CommandsFixtureError("disk on fire") })
        broken()
        await fixture.waitForEnd(of: broken.id)
        let stopped = try await fixture.startRunning("read")
        _ = await processor.run("/cancel 3")
        await fixture.waitForEnd(of: stopped.id)

        #expect(texts(await processor.run("/tasks stop 1")) == ["Task #1 already completed."])
        #expect(texts(await processor.run("/tasks stop 2")) == ["Task #2 already failed."])
        #expect(texts(await processor.run("/cancel #3")) == ["Task #3 already cancelled."])
    }

    @Test("usage errors and unknown commands come back as one warning line")
    func parseFailures() async {
        let processor = CommandProcessor(registry: CommandsFixture().registry)
        let usage = await processor.run("/tasks stop")
        #expect(usage == .usageError("Usage: /tasks stop <id>"))
        #expect(texts(usage) == ["Usage: /tasks stop <id>"])
        #expect(lines(usage).first?.style == .warning)
        #expect(texts(await processor.run("/foo")) == ["Unknown command /foo — try /help"])
    }

    @Test("/cancel all asks first, counting only tasks still running")
    func cancelAllAsks() async throws {
        let fixture = CommandsFixture()
        let processor = CommandProcessor(registry: fixture.registry)
        let first = try await fixture.startRunning("explore")
        try await fixture.startRunning("grep")
        try await fixture.startRunning("read")
        let finished = try await fixture.startRunning("tree")
        finished()
        await fixture.waitForEnd(of: finished.id)
        _ = first

        let result = await processor.run("/cancel all")
        #expect(texts(result).isEmpty)
        let request = ConfirmationRequest(.cancelAll, count: 3)
        #expect(result == .confirm(request))
        #expect(request.prompt == "Cancel 3 running tasks? (y/n)")
        #expect(await fixture.registry.runningBackgroundAgents == 3)
    }

    @Test("answering yes cancels every running task; answering no cancels nothing")
    func cancelAllAnswers() async throws {
        let fixture = CommandsFixture()
        let processor = CommandProcessor(registry: fixture.registry)
        let one = try await fixture.startRunning("explore")
        let two = try await fixture.startRunning("grep")
        let request = ConfirmationRequest(.cancelAll, count: 2)

        #expect(texts(await processor.answer(false, to: request)) == ["Nothing was cancelled."])
        #expect(await fixture.registry.runningBackgroundAgents == 2)

        #expect(texts(await processor.answer(true, to: request)) == ["Stopping 2 tasks: #1 explore, #2 grep…"])
        #expect(await fixture.waitForEnd(of: one.id)?.status == .cancelled(by: .user))
        #expect(await fixture.waitForEnd(of: two.id)?.status == .cancelled(by: .user))
        #expect(await fixture.registry.runningBackgroundAgents == 0)
    }

    @Test("/cancel all with nothing running says so without asking")
    func cancelAllEmpty() async {
        let processor = CommandProcessor(registry: CommandsFixture().registry)
        let result = await processor.run("/cancel all")
        #expect(result == .nothingRunning)
        #expect(texts(result) == ["No running tasks."])
    }

    @Test("a whole answer line is read as yes, no, or neither; an empty line is neither")
    func interpretAnswers() {
        #expect(ConfirmationRequest.interpret("y") == true)
        #expect(ConfirmationRequest.interpret(" YES ") == true)
        #expect(ConfirmationRequest.interpret("Yes") == true)
        #expect(ConfirmationRequest.interpret("n") == false)
        #expect(ConfirmationRequest.interpret("No") == false)
        #expect(ConfirmationRequest.interpret("") == nil)
        #expect(ConfirmationRequest.interpret("yes please") == nil)
        #expect(ConfirmationRequest.interpret("maybe") == nil)
    }

    @Test("/tasks lists running tasks first, then the most recently finished, with step and tool")
    func taskTable() async throws {
        let fixture = CommandsFixture()
        let processor = CommandProcessor(registry: fixture.registry)
        let early = try await fixture.startRunning("tree")
        await fixture.clock.advance(by: .seconds(2))
        early()
        await fixture.waitForEnd(of: early.id)
        let explore = try await fixture.startRunning("explore")
        await fixture.registry.report(explore.id, step: 3, activity: "list_files")
        await fixture.registry.recordUsage(explore.id, TaskUsage(inputTokens: 3000, outputTokens: 120, modelCalls: 3, toolCalls: 7))
        await fixture.clock.advance(by: .milliseconds(12_400))
        let failing = try await fixture.startRunning("grep", outcome: { throw CommandsFixtureError("pattern too long") })
        failing()
        await fixture.waitForEnd(of: failing.id)
        let pending = try await fixture.startRunning("read", prompt: "Read the largest files")
        await fixture.registry.report(pending.id, step: 1, activity: "thinking")

        let table = lines(await processor.run("/tasks"))
        #expect(table.map(\.text) == [
            "ID  NAME     KIND   STATUS     TIME   TOKENS  TOOLS  ACTIVITY",
            "#2  explore  agent  running    12.4s  3.1k    7      step 3 · list_files",
            "#4  read     agent  running    0ms    0       0      step 1 · thinking",
            "#3  grep     agent  failed     0ms    0       0      pattern too long",
            "#1  tree     agent  completed  2.0s   0       0      done",
        ])
        #expect(table.map(\.style) == [.heading, .plain, .plain, .error, .success])
        #expect(table.allSatisfy { !$0.wraps })
    }

    @Test("/tasks with no tasks says none ran yet")
    func emptyTable() async {
        let processor = CommandProcessor(registry: CommandsFixture().registry)
        #expect(texts(await processor.run("/tasks")) == ["No tasks yet. Background agents appear here while they run."])
    }

    @Test("/tasks keeps only the ten most recent finished tasks and says how many it left out")
    func finishedLimit() async throws {
        let fixture = CommandsFixture()
        for index in 1...12 {
            let task = try await fixture.startRunning("agent\(index)")
            task()
            await fixture.waitForEnd(of: task.id)
        }
        let rows = texts(await CommandProcessor(registry: fixture.registry).run("/tasks"))
        #expect(rows.count == 1 + 10 + 1)
        #expect(rows[1].hasPrefix("#12 "))
        #expect(rows[10].hasPrefix("#3 "))
        #expect(rows[11] == "(2 older finished tasks not shown; /tasks show <id> still finds them)")
    }

    @Test("/tasks show gives the prompt, the recent trail and the result or error")
    func showTask() async throws {
        let fixture = CommandsFixture()
        let processor = CommandProcessor(registry: fixture.registry)
        let task = try await fixture.startRunning("explore", prompt: "List the tree\nthen summarise", outcome: { "Found 3 TODOs" })
        await fixture.registry.report(task.id, step: 1, activity: "list_files")
        await fixture.registry.report(task.id, step: 2, activity: "grep")
        await fixture.clock.advance(by: .seconds(5))

        let running = texts(await processor.run("/tasks show 1"))
        #expect(running == [
            "Task #1 · explore · background agent · running · 5.0s",
            "Launched by the main agent",
            "Usage: 0 tokens (0 in, 0 out) · 0 model calls · 0 tools",
            "Prompt:",
            "  List the tree",
            "  then summarise",
            "Recent progress:",
            "  · list_files",
            "  · grep",
            "Now: step 2 · grep",
        ])

        task()
        await fixture.waitForEnd(of: task.id)
        let finished = texts(await processor.run("/tasks show #1"))
        #expect(finished.first == "Task #1 · explore · background agent · completed · 5.0s")
        #expect(finished.suffix(2) == ["Result:", "  Found 3 TODOs"])

        let failing = try await fixture.startRunning("grep", outcome: { throw CommandsFixtureError("no such file") })
        failing()
        await fixture.waitForEnd(of: failing.id)
        #expect(texts(await processor.run("/tasks show 2")).suffix(2) == ["Error:", "  no such file"])
    }

    @Test("/tasks show makes escape sequences in a prompt inert")
    func showInert() async throws {
        let fixture = CommandsFixture()
        try await fixture.startRunning("explore", prompt: "red \u{1B}[31mtext\u{07}")
        let lines = texts(await CommandProcessor(registry: fixture.registry).run("/tasks show 1"))
        #expect(lines.contains("  red ^[[31mtext^G"))
    }

    @Test("/help lists every command with one line each, plus the front end's footer")
    func help() async {
        let processor = CommandProcessor(registry: CommandsFixture().registry)
        let help = lines(await processor.run("/help"), helpFooter: ["Keys: Esc interrupts"]).map(\.text)
        #expect(help.first == "Commands (all work while the agent is busy):")
        for descriptor in SlashCommandDescriptor.all {
            #expect(help.contains { $0.hasPrefix("  \(descriptor.usage) ") && $0.hasSuffix(descriptor.summary) })
        }
        #expect(help.count == SlashCommandDescriptor.all.count + 2)
        #expect(help.last == "Keys: Esc interrupts")
    }

    @Test("/clear and /quit ask their front end to act")
    func effects() async {
        let processor = CommandProcessor(registry: CommandsFixture().registry)
        #expect(await processor.run("/clear") == .clearTranscript)
        #expect(await processor.run("/quit") == .quit)
    }

    @Test("/quit while background agents run asks first; no keeps them running, yes quits")
    func quitAsksWhileAgentsRun() async throws {
        let fixture = CommandsFixture()
        let processor = CommandProcessor(registry: fixture.registry)
        _ = try await fixture.startRunning("explore")
        _ = try await fixture.startRunning("grep")
        let result = await processor.run("/quit")
        let request = ConfirmationRequest(.quit, count: 2)
        #expect(result == .confirm(request))
        #expect(request.prompt == "2 background agents are running. Stop them and quit? (y/n)")
        #expect(ConfirmationRequest(.quit, count: 1).prompt == "1 background agent is running. Stop it and quit? (y/n)")
        #expect(texts(await processor.answer(false, to: request)) == ["Nothing was stopped; Muster keeps running."])
        #expect(await fixture.registry.runningBackgroundAgents == 2)
        #expect(await processor.answer(true, to: request) == .quit)
    }
}
