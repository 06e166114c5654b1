import Clocks
import Foundation
import MusterCore
import MusterHeadless
import MusterTestSupport
import Testing

@Suite("Headless runner")
struct HeadlessRunnerTests {
    /// A run of `model` on "go" with `options`, logging to a fresh file; `stops` may stop it.
    struct Run {
        let outcome: HeadlessRunner.Outcome
        let output: CapturedOutput
        let log: [SessionRecord]
    }

    static func run(
        _ model: HeadlessTestModel,
        options: HeadlessOptions = HeadlessOptions(),
        stops: AsyncStream<RunEnding> = AsyncStream { $0.finish() },
        session: Session? = nil
    ) async throws -> Run {
        let url = try HeadlessFixtures.temporaryDirectory().appendingPathComponent("session.jsonl")
        let output = CapturedOutput()
        let runner = HeadlessRunner(
            session: session ?? HeadlessFixtures.session(model: model), options: options, log: .file(url),
            metadata: HeadlessFixtures.metadata, output: output, clock: ImmediateClock(), environment: [:]
        )
        let outcome = await runner.run(prompt: "go", stops: stops)
        #expect(outcome.logFile == url)
        return Run(outcome: outcome, output: output, log: try HeadlessFixtures.records(in: url))
    }

    /// Sub-agents that finish once `gate` opens, answering "<name> found 3 things".
    static func gated(_ gate: TestGate) -> @Sendable (ModelRequest) async throws -> [ModelEvent] {
        { request in
            await gate.wait()
            return HeadlessTestModel.say("\(request.agentName) found 3 things")
        }
    }

    @Test("--summarize final: results start no turn while background work runs; the main agent takes them all in one final turn")
    func summarizeFinal() async throws {
        let clock = TestClock<Duration>()
        let (first, second) = (TestGate(), TestGate())
        let model = HeadlessTestModel.launcher(subAgents: ["explore", "grep"]) { request in
            await (request.agentName == "explore" ? first : second).wait()
            return HeadlessTestModel.say("\(request.agentName) found 3 things")
        }
        let session = HeadlessFixtures.session(model: model, configuration: .init(waitForAllBackgroundWork: true), clock: clock)
        let watcher = session.events.subscribe()
        async let run = Self.run(model, session: session)
        _ = await watcher.collect { if case .turnEnd(1, _) = $0 { true } else { false } }
        await first.open()
        _ = await watcher.collect { if case .task(.resultsWaiting(.topLevel, 1)) = $0 { true } else { false } }
        await clock.untilSleeping()
        // The window closes while grep still runs: no turn (a batched session would start one here).
        await clock.advance(by: .milliseconds(500))
        await second.open()
        _ = await watcher.collect { if case .task(.resultsWaiting(.topLevel, 2)) = $0 { true } else { false } }
        await clock.untilSleeping()
        await clock.advance(by: .milliseconds(500))
        let result = try await run

        #expect(result.output.standardOutput == "Launched.\n\nSummary of 2 results.\n")
        let starts = result.log.compactMap { if case .turnStart(_, let trigger) = $0.event { trigger } else { nil } }
        #expect(starts == [.input(""), .backgroundResults])
        #expect(result.outcome.result.background == .completed)
        // Launch, "Launched.", one call for both results; and each sub-agent's one call.
        #expect(result.outcome.result.modelCalls == RunResult.ModelCalls(main: 3, total: 5))
        let json = SessionEvent.result(result.outcome.result).jsonObject
        #expect(json.contains(#""model_calls":{"main":3,"total":5}"#), "\(json)")
    }

    @Test("text output is the final answer, and a plain run exits 0")
    func textAnswer() async throws {
        let run = try await Self.run(HeadlessTestModel { _ in HeadlessTestModel.say("The answer is 42.") })
        #expect(run.outcome.ending.exitCode == 0)
        #expect(run.output.standardOutput == "The answer is 42.\n")
        #expect(run.output.standardError == "")
        #expect(run.outcome.result.status == .success)
        #expect(run.outcome.result.background == RunResult.BackgroundOutcome.none)
        #expect(run.outcome.result.usage == Usage(inputTokens: 10, outputTokens: 3))
        #expect(run.log.first?.event.type == "session_start")
        #expect(run.log.map(\.event.type).suffix(2) == ["result", "session_end"])
        #expect(run.log.last?.event == .sessionEnd(SessionEnd(sessionID: sessionID(run.log), ending: .completed, exitCode: 0, tasks: [])))
    }

    @Test("background agents are waited for, each result is answered (delivered one at a time), and the text output has every answer in order")
    func waitsForBackground() async throws {
        let gate = TestGate()
        let model = HeadlessTestModel.launcher(subAgents: ["explore", "grep"], subAgent: Self.gated(gate))
        // One result per model call (`--summarize each`): every answer is in the text output.
        let session = HeadlessFixtures.session(model: model, configuration: .init(delivery: .each, settleWindow: .zero))
        // Hold the sub-agents until the main turn is over, so the results must arrive later.
        let watcher = session.events.subscribe()
        async let run = Self.run(model, session: session)
        for await event in watcher {
            if case .turnEnd(1, _) = event { break }
        }
        await gate.open()
        let result = try await run

        #expect(result.outcome.ending.exitCode == 0)
        #expect(result.output.standardOutput == "Launched.\n\nSummary of 1 results.\n\nSummary of 2 results.\n")
        #expect(result.outcome.result.turns >= 2)
        #expect(result.outcome.result.background == .completed)
        #expect(result.outcome.result.tasks.map(\.status.word) == ["completed", "completed"])
        #expect(result.outcome.result.cancelledTaskIDs.isEmpty)
        #expect(result.outcome.result.undeliveredTaskIDs.isEmpty)
        let starts = result.log.compactMap { if case .turnStart(_, let trigger) = $0.event { trigger } else { nil } }
        #expect(starts.first == .input(""))
        #expect(starts.dropFirst().allSatisfy { $0 == .backgroundResults })
        #expect(starts.count >= 2)
    }

    @Test("--no-wait cancels running background agents at once and says so")
    func noWait() async throws {
        let model = HeadlessTestModel.launcher(subAgents: ["explore", "grep"]) { _ in try await HeadlessTestModel.hang() }
        let run = try await Self.run(model, options: HeadlessOptions(background: .noWait))
        #expect(run.outcome.ending.exitCode == 0)
        #expect(run.output.standardOutput == "Launched.\n")
        #expect(run.outcome.result.background == .notWaited)
        #expect(run.outcome.result.cancelledTaskIDs == [TaskID(1), TaskID(2)])
        #expect(run.outcome.result.tasks.allSatisfy { $0.status.word == "cancelled" })
        let names = run.outcome.result.tasks.map(\.label).joined(separator: ", ")
        #expect(run.output.standardError.contains("muster: Not waiting for background work (--no-wait); cancelled 2 still running: \(names)."))
        #expect(run.outcome.result.turns == 1)
    }

    @Test("--background-timeout bounds the wait, then cancels the rest and reports them cancelled")
    func backgroundTimeout() async throws {
        // The immediate clock makes any timeout run out as soon as the main turn ends.
        let model = HeadlessTestModel.launcher(subAgents: ["explore"]) { _ in try await HeadlessTestModel.hang() }
        let run = try await Self.run(model, options: HeadlessOptions(background: .wait(timeout: .seconds(5))))
        #expect(run.outcome.ending.exitCode == 0)
        #expect(run.outcome.result.background == .timedOut)
        #expect(run.outcome.result.cancelledTaskIDs == [TaskID(1)])
        #expect(run.output.standardError.contains("muster: Stopped waiting for background work after 5.0s; cancelled 1 still running: #1 explore."))
        guard case .sessionEnd(let end)? = run.log.last?.event else { Issue.record("no session_end"); return }
        #expect(end.tasks.map(\.status.word) == ["cancelled"])
        #expect(end.ending == .completed)
    }

    @Test("a background timeout never cuts the main turn short")
    func timeoutStartsAfterMainTurn() async throws {
        // A main turn with no background work completes even though the clock is immediate.
        let run = try await Self.run(
            HeadlessTestModel { _ in HeadlessTestModel.say("Done.") },
            options: HeadlessOptions(background: .wait(timeout: .zero))
        )
        #expect(run.outcome.ending.exitCode == 0)
        #expect(run.output.standardOutput == "Done.\n")
    }

    @Test("a failing agent exits 1 with its error on standard error")
    func agentFails() async throws {
        struct Broken: Error, CustomStringConvertible { var description: String { "connection refused" } }
        let run = try await Self.run(HeadlessTestModel { _ in throw Broken() })
        #expect(run.outcome.ending.exitCode == 1)
        #expect(run.outcome.result.status == .error)
        #expect(run.outcome.result.error == "The model failed: connection refused")
        #expect(run.output.standardOutput == "")
        #expect(run.output.standardError.contains("muster: The agent failed: The model failed: connection refused"))
        guard case .sessionEnd(let end)? = run.log.last?.event else { Issue.record("no session_end"); return }
        #expect(end.ending == .agentFailed)
        #expect(end.exitCode == 1)
    }

    @Test("a stop request cancels everything, exits 143, and still writes the whole log")
    func stopped() async throws {
        let model = HeadlessTestModel.launcher(subAgents: ["explore", "grep"]) { _ in try await HeadlessTestModel.hang() }
        let session = HeadlessFixtures.session(model: model)
        let watcher = session.events.subscribe()
        let (stops, stop) = AsyncStream<RunEnding>.makeStream()
        async let run = Self.run(model, options: HeadlessOptions(outputFormat: .json), stops: stops, session: session)
        // Stop once both sub-agents run and the main turn is over.
        var running = Set<TaskID>()
        var mainDone = false
        for await event in watcher {
            if case .task(.updated(let snapshot)) = event, case .running = snapshot.status { running.insert(snapshot.id) }
            if case .turnEnd = event { mainDone = true }
            if mainDone, running.count == 2 { break }
        }
        stop.yield(.terminated)
        let result = try await run

        #expect(result.outcome.ending.exitCode == 143)
        #expect(result.outcome.result.status == .interrupted)
        #expect(result.outcome.result.background == .cancelled)
        let names = result.outcome.result.tasks.map(\.label).joined(separator: ", ")
        #expect(result.output.standardError.contains("muster: Stopped by SIGTERM; cancelled 2 still running: \(names)."))
        guard case .sessionEnd(let end)? = result.log.last?.event else { Issue.record("no session_end"); return }
        #expect(end.ending == .terminated)
        #expect(end.exitCode == 143)
        #expect(end.tasks.map(\.status.word) == ["cancelled", "cancelled"])
        // The json output is the result record.
        let json = try JSONValue.parse(result.output.standardOutput)
        #expect(json["type"] == "result")
        #expect(json["status"] == "interrupted")
        #expect(json["exit_code"] == 143)
    }

    @Test("json output is one object: final text, every task with its final status, usage, duration")
    func jsonOutput() async throws {
        let gate = TestGate()
        await gate.open()
        let model = HeadlessTestModel.launcher(subAgents: ["explore"], subAgent: Self.gated(gate))
        let run = try await Self.run(model, options: HeadlessOptions(outputFormat: .json))
        #expect(run.outcome.ending.exitCode == 0)
        let lines = run.output.standardOutput.split(separator: "\n")
        #expect(lines.count == 1)
        let json = try JSONValue.parse(String(lines[0]))
        #expect(json["type"] == "result")
        #expect(json["status"] == "success")
        #expect(json["text"] == "Summary of 1 results.")
        #expect(json["tasks"]?.arrayValue?.count == 1)
        #expect(json["tasks"]?.arrayValue?.first?["status"] == "completed")
        #expect(json["tasks"]?.arrayValue?.first?["summary"] == "explore found 3 things")
        #expect(json["usage"]?["input_tokens"]?.intValue ?? 0 > 0)
        #expect(json["duration_seconds"]?.doubleValue != nil)
        let decoded = try JSONDecoder().decode(SessionEvent.self, from: Data(lines[0].utf8))
        #expect(decoded.jsonObject == SessionEvent.result(run.outcome.result).jsonObject)
    }

    @Test("stream-json writes every record as a line: ids match and every started task finishes exactly once")
    func streamJSON() async throws {
        let gate = TestGate()
        await gate.open()
        let model = HeadlessTestModel.launcher(subAgents: ["explore", "grep"], subAgent: Self.gated(gate))
        let run = try await Self.run(model, options: HeadlessOptions(outputFormat: .streamJSON))
        #expect(run.outcome.ending.exitCode == 0)
        let records = try run.output.standardOutput.split(separator: "\n").map { try SessionRecord.parse($0) }
        #expect(records.first?.event.type == "session_start")
        #expect(records.map(\.event.type).suffix(2) == ["result", "session_end"])
        #expect(records.map(\.sequence) == Array(1...records.count))
        #expect(records.contains { $0.event.type == "text_delta" })
        // The log is the same stream without the text deltas.
        #expect(records.filter { !$0.event.isTextDelta } == run.log)

        var started: [TaskID] = []
        var finished: [TaskID] = []
        var calls: [String: Int] = [:]
        var agentTasks = Set<TaskID>()
        for record in records {
            switch record.event {
            case .task(.started(let task)): started.append(task.id)
            case .task(.finished(let task)): finished.append(task.id)
            case .toolStart(_, let callID, _, _): calls[callID, default: 0] += 1
            case .toolEnd(_, let callID, _, _): calls[callID, default: 0] -= 1
            case .assistantMessage(let agent, _), .modelUsage(let agent, _):
                if let id = agent.taskID { agentTasks.insert(id) }
            default: break
            }
        }
        #expect(started == [TaskID(1), TaskID(2)])
        #expect(finished.sorted() == started)
        #expect(calls == ["call_explore": 0, "call_grep": 0], "every tool_start has one tool_end with the same call id")
        #expect(agentTasks == Set(started), "sub-agent records carry the ids of their tasks")
    }

    @Test("a recovery notice about the last session goes to standard error and the log")
    func recoveryNotice() async throws {
        let url = try HeadlessFixtures.temporaryDirectory().appendingPathComponent("session.jsonl")
        let torn = SessionRecord(sequence: 1, time: Date(), event: .sessionStart(SessionStart(
            sessionID: "deadbeef", pid: 999_999_999, logFile: nil, metadata: HeadlessFixtures.metadata
        ))).jsonLine + "\n"
            + #"{"type":"task_started","seq":2,"time":"2025-11-21T16:00:00.125Z","task":{"description":"d","duration_seconds":0,"id":3,"kind":"agent","mode":"background","name":"explore","spawner_id":null,"started_at":"2025-11-21T16:00:00.125Z","status":"running"}}"#
            + "\n{\"type\":\"tas"
        try Data(torn.utf8).write(to: url)
        let output = CapturedOutput()
        let runner = HeadlessRunner(
            session: HeadlessFixtures.session(model: HeadlessTestModel { _ in HeadlessTestModel.say("Hi.") }),
            options: HeadlessOptions(), log: .file(url), metadata: HeadlessFixtures.metadata, output: output,
            clock: ImmediateClock(), environment: [:]
        )
        let outcome = await runner.run(prompt: "go", stops: AsyncStream { $0.finish() })
        #expect(outcome.ending.exitCode == 0)
        let notice = "The last session's log is incomplete (no end record: the session was killed, or could not write its end); 1 background agent had not finished: #3 explore."
        #expect(output.standardError == "muster: warning: \(notice)\n")
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.contains(#""message":"\#(notice)""#))
    }

    @Test("with more than 50 tasks, cancelled_task_ids and the notice count every task cancelled at the end")
    func moreThanFiftyTasks() async throws {
        let names = (1...60).map { "agent\($0)" }
        let model = HeadlessTestModel.launcher(subAgents: names) { _ in try await HeadlessTestModel.hang() }
        let session = HeadlessFixtures.session(model: model, maxBackgroundAgents: 100)
        let run = try await Self.run(model, options: HeadlessOptions(background: .noWait), session: session)
        #expect(run.outcome.result.cancelledTaskIDs.count == 60)
        #expect(run.outcome.result.tasks.count == 60)
        #expect(run.output.standardError.contains("cancelled 60 still running: "))
        guard case .sessionEnd(let end)? = run.log.last?.event else { Issue.record("no session_end"); return }
        #expect(end.tasks.count == 60)
    }

    @Test("every record of the log carries the session's id")
    func sessionIDOnEveryRecord() async throws {
        let model = HeadlessTestModel.launcher(subAgents: ["explore"]) { _ in HeadlessTestModel.say("done") }
        let run = try await Self.run(model)
        let id = sessionID(run.log)
        #expect(id.count == 8)
        #expect(run.log.count > 5)
        for record in run.log { #expect(record.sessionID == id, "\(record.event.type) lacks the session id") }
        let text = try String(contentsOf: try #require(run.outcome.logFile), encoding: .utf8)
        for line in text.split(separator: "\n") { #expect(line.contains(#""session_id":"\#(id)""#), "\(line)") }
    }

    /// Clears the screen, sets the window title and writes the clipboard on a terminal that obeys.
    static let hostile = "\u{1B}[2J\u{1B}]0;pwned\u{07}\u{1B}]52;c;ZXZpbA==\u{07}\u{9B}31m\u{202E}"

    @Test("notices on standard error are inert: task names and errors are shown, never obeyed")
    func inertNotices() async throws {
        let model = HeadlessTestModel.launcher(subAgents: ["x\(Self.hostile)"]) { _ in try await HeadlessTestModel.hang() }
        let timedOut = try await Self.run(model, options: HeadlessOptions(background: .wait(timeout: .seconds(5))))
        #expect(timedOut.output.standardError.contains("muster: Stopped waiting for background work after 5.0s; cancelled 1 still running: #1 x^[[2J^[]0;pwned^G^[]52;c;ZXZpbA==^GM-^[31m<U+202E>."))

        struct Hostile: Error, CustomStringConvertible { var description: String { "bad\(HeadlessRunnerTests.hostile)\nsecond line\u{1B}c" } }
        let failed = try await Self.run(HeadlessTestModel { _ in throw Hostile() })
        #expect(failed.output.standardError.contains("second line^[c"))
        for run in [timedOut, failed] {
            let scalars = run.output.standardError.unicodeScalars
            #expect(!scalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x9B || $0.value == 0x202E })
        }
    }

    @Test("the text answer is shown inert on a terminal and written raw to a pipe or file")
    func textAnswerOnATerminal() async throws {
        let answer = "Done \(Self.hostile)\nline two\u{200F}"
        let model = HeadlessTestModel { _ in HeadlessTestModel.say(answer) }
        let piped = try await Self.run(model)
        #expect(piped.output.standardOutput == answer + "\n")

        let url = try HeadlessFixtures.temporaryDirectory().appendingPathComponent("session.jsonl")
        let terminal = CapturedOutput(standardOutputIsTerminal: true)
        let runner = HeadlessRunner(
            session: HeadlessFixtures.session(model: model), options: HeadlessOptions(), log: .file(url),
            metadata: HeadlessFixtures.metadata, output: terminal, clock: ImmediateClock(), environment: [:]
        )
        _ = await runner.run(prompt: "go", stops: AsyncStream { $0.finish() })
        #expect(terminal.standardOutput == "Done ^[[2J^[]0;pwned^G^[]52;c;ZXZpbA==^GM-^[31m<U+202E>\nline two<U+200F>\n")
    }

    private func sessionID(_ records: [SessionRecord]) -> String {
        if case .sessionStart(let start)? = records.first?.event { start.sessionID } else { "" }
    }
}
