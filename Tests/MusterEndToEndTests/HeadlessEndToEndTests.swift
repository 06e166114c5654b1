import Foundation
import MusterCore
import Testing

/// `muster -p` as scripts and CI run it: the built binary, a fixture script whose main agent
/// starts two background agents (`fast` and `sleeper`, which runs `sleep <prompt>`).
@Suite("Headless end to end", .enabled(if: HeadlessProcess.binary != nil, "build muster first (swift build)"), .serialized)
struct HeadlessEndToEndTests {
    @Test("text output: Muster waits for both background agents, lets the main agent answer each result, prints every answer in order and exits 0")
    func textWaitsForBackground() async throws {
        let scratch = try HeadlessProcess.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let muster = try HeadlessProcess(["-p", "0.3"], scratch: scratch)
        defer { muster.stop() }
        #expect(try await muster.waitForExit() == 0)
        // Every answer after the prompt, in order: the launch turn's, then one per result.
        let answers = muster.standardOutput.components(separatedBy: "\n\n")
        #expect(answers.count == 3, "\(muster.standardOutput)")
        #expect(answers.first == "Both are running.")
        #expect(answers.dropFirst().contains { $0.hasPrefix("Got fast (completed): fast found the files.") })
        #expect(answers.dropFirst().contains { $0.hasPrefix("Got sleeper (completed): sleeper woke") })
        #expect(muster.standardError == "")

        let log = try HeadlessProcess.records(String(contentsOf: muster.sessionLog(), encoding: .utf8))
        #expect(log.first?.event.type == "session_start")
        guard case .sessionEnd(let end)? = log.last?.event else { Issue.record("the log has no session_end"); return }
        #expect(end.ending == .completed)
        #expect(end.exitCode == 0)
        #expect(end.tasks.map(\.status.word) == ["completed", "completed"])
        let triggers = log.compactMap { if case .turnStart(_, let trigger) = $0.event { trigger } else { nil } }
        #expect(triggers.first == .input(""))
        #expect(triggers.contains(.backgroundResults), "a final turn took the results")
    }

    @Test("json output: one object with the final text, every task's final status, usage and duration")
    func jsonOutput() async throws {
        let scratch = try HeadlessProcess.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let muster = try HeadlessProcess(["-p", "0.3", "--output-format", "json"], scratch: scratch)
        defer { muster.stop() }
        #expect(try await muster.waitForExit() == 0)
        let lines = muster.standardOutput.split(separator: "\n")
        try #require(lines.count == 1, "one object: \(muster.standardOutput)")
        let json = try JSONValue.parse(String(lines[0]))
        #expect(json["type"] == "result")
        #expect(json["status"] == "success")
        #expect(json["exit_code"] == 0)
        #expect(json["background"] == "completed")
        #expect(json["text"]?.stringValue?.hasPrefix("Got ") == true)
        let tasks = json["tasks"]?.arrayValue ?? []
        #expect(tasks.compactMap { $0["name"]?.stringValue }.sorted() == ["fast", "sleeper"])
        #expect(tasks.allSatisfy { $0["status"] == "completed" && $0["summary"]?.stringValue != nil })
        #expect((json["usage"]?["output_tokens"]?.intValue ?? 0) > 0)
        #expect((json["duration_seconds"]?.doubleValue ?? 0) > 0.3)
    }

    @Test("model calls: six background results finishing 0.2 s apart cost the main agent one model call by default (--summarize final), six with each",
          arguments: [("final", 1), ("each", 6)])
    func mainAgentModelCalls(mode: String, resultCalls: Int) async throws {
        let scratch = try HeadlessProcess.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let arguments = ["-p", "go", "--output-format", "stream-json"] + (mode == "final" ? [] : ["--summarize", mode])
        let muster = try HeadlessProcess(arguments, scratch: scratch, script: HeadlessProcess.fixtures.appendingPathComponent("many.json"))
        defer { muster.stop() }
        #expect(try await muster.waitForExit() == 0)
        let records = try HeadlessProcess.records(muster.standardOutput)
        let mainCalls = records.filter { record in
            if case .modelUsage(let agent, _) = record.event { agent.taskID == nil } else { false }
        }.count
        // Two calls for the launch turn (its tool calls, then its answer), then the results'
        // (with final, one more if the first result beat the launch turn's answer on a loaded machine).
        let allowed = mode == "final" ? (2 + resultCalls)...(3 + resultCalls) : (2 + resultCalls)...(2 + resultCalls)
        #expect(allowed.contains(mainCalls), "\(mainCalls) main-agent model calls")
        guard case .result(let result)? = records.first(where: { $0.event.type == "result" })?.event else {
            Issue.record("no result record"); return
        }
        #expect(result.modelCalls == RunResult.ModelCalls(main: mainCalls, total: mainCalls + 12))
        #expect(result.tasks.map(\.status.word) == Array(repeating: "completed", count: 6))
    }

    @Test("stream-json: every line parses, ids match, and every started task has exactly one final event")
    func streamJSON() async throws {
        let scratch = try HeadlessProcess.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let muster = try HeadlessProcess(["-p", "0.3", "--output-format", "stream-json"], scratch: scratch)
        defer { muster.stop() }
        #expect(try await muster.waitForExit() == 0)
        let records = try HeadlessProcess.records(muster.standardOutput)
        #expect(records.first?.event.type == "session_start")
        #expect(records.map(\.event.type).suffix(2) == ["result", "session_end"])
        #expect(records.map(\.sequence) == Array(1...records.count))
        #expect(records.contains { $0.event.isTextDelta })

        var started: [TaskID: String] = [:]
        var finished: [TaskID: Int] = [:]
        var openCalls: [String: String] = [:]
        var closedCalls = Set<String>()
        for record in records {
            switch record.event {
            case .task(.started(let task)):
                #expect(started[task.id] == nil, "\(task.id) started twice")
                started[task.id] = task.name
            case .task(.finished(let task)):
                #expect(started[task.id] == task.name, "\(task.id) finished without starting")
                finished[task.id, default: 0] += 1
            case .task(.updated(let task)):
                #expect(started[task.id] != nil && finished[task.id] == nil, "\(task.id) updated outside its life")
            case .toolStart(let agent, let callID, let tool, _):
                #expect(openCalls[callID] == nil)
                openCalls[callID] = tool
                if let id = agent.taskID { #expect(started[id] == agent.name, "tool call of an unknown task \(id)") }
            case .toolProgress(_, let callID, _, _):
                #expect(openCalls[callID] != nil && !closedCalls.contains(callID), "progress outside call \(callID)")
            case .toolEnd(let agent, let callID, let tool, _):
                #expect(openCalls[callID] == tool, "tool_end \(callID) without its tool_start")
                #expect(closedCalls.insert(callID).inserted)
                if let id = agent.taskID { #expect(started[id] == agent.name) }
            case .textDelta(let agent, _), .assistantMessage(let agent, _), .modelUsage(let agent, _):
                if let id = agent.taskID { #expect(started[id] == agent.name, "\(agent) is not a started task") }
            default:
                break
            }
        }
        #expect(started.values.sorted() == ["fast", "sleeper"])
        #expect(finished == Dictionary(uniqueKeysWithValues: started.keys.map { ($0, 1) }), "exactly one task_finished per task")
        #expect(Set(openCalls.keys) == closedCalls, "every tool_start has its tool_end")

        // The log holds the same records, without the text deltas.
        let log = try HeadlessProcess.records(String(contentsOf: muster.sessionLog(), encoding: .utf8))
        #expect(log == records.filter { !$0.event.isTextDelta })
    }

    @Test("--background-timeout bounds the wait, then cancels what still runs and reports it cancelled")
    func backgroundTimeout() async throws {
        let scratch = try HeadlessProcess.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let prompt = HeadlessProcess.sleepPrompt(seconds: 30)
        let started = ContinuousClock.now
        let muster = try HeadlessProcess(["-p", prompt, "--background-timeout", "1", "--output-format", "json"], scratch: scratch)
        defer { muster.stop() }
        #expect(try await muster.waitForExit() == 0)
        #expect(ContinuousClock.now - started < .seconds(20), "did not wait for the 30 s sleeper")
        let json = try JSONValue.parse(muster.standardOutput)
        #expect(json["background"] == "timed_out")
        let statuses = Dictionary(uniqueKeysWithValues: (json["tasks"]?.arrayValue ?? []).map { ($0["name"]?.stringValue ?? "", $0["status"]?.stringValue ?? "") })
        #expect(statuses == ["fast": "completed", "sleeper": "cancelled"])
        let sleeper = (json["tasks"]?.arrayValue ?? []).first { $0["name"] == "sleeper" }?["id"]?.intValue ?? 0
        #expect(muster.standardError.contains("Stopped waiting for background work after 1.0s; cancelled 1 still running: #\(sleeper) sleeper."))
        #expect(HeadlessProcess.processes(containing: prompt).isEmpty, "the sleeper's shell is gone")
    }

    @Test("--log-file on a FIFO nobody reads is refused with a clear message, and the run still answers and exits at once")
    func logFileOnAFIFO() async throws {
        let scratch = try HeadlessProcess.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let fifo = scratch.appendingPathComponent("log.fifo")
        try #require(mkfifo(fifo.path, 0o600) == 0)
        let muster = try HeadlessProcess(["-p", "0.1", "--log-file", fifo.path], scratch: scratch)
        defer { muster.stop() }
        // Before the fix, opening or writing the FIFO blocked: no answer, and SIGTERM was ignored.
        #expect(try await muster.waitForExit(timeout: .seconds(20)) == 0)
        #expect(muster.standardOutput.contains("Got "), "the answers to the results are printed: \(muster.standardOutput)")
        #expect(muster.standardError.contains("muster: warning: The session log \(fifo.path) is a FIFO; Muster writes its log only to a regular file. The session goes on without a log."))
    }

    @Test("a set-up error that quotes escape sequences is shown inert on standard error")
    func setupErrorIsInert() async throws {
        let scratch = try HeadlessProcess.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let missing = scratch.appendingPathComponent("no\u{1B}]0;pwned\u{07}\u{1B}[2J").path
        let muster = try HeadlessProcess(["-p", "hi", "--workspace", missing], scratch: scratch)
        defer { muster.stop() }
        #expect(try await muster.waitForExit() == 2)
        #expect(muster.standardError.contains("no^[]0;pwned^G^[[2J is not a directory."), "\(muster.standardError)")
        #expect(!muster.standardError.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
    }

    @Test("a plain session writes a warning record for an invalid option value, like a headless run")
    func plainSessionLogsInvalidOption() async throws {
        let scratch = try HeadlessProcess.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let log = scratch.appendingPathComponent("plain.jsonl")
        // No -p and stdin not a terminal: the plain line mode, which ends at the end of input.
        let muster = try HeadlessProcess(["--max-background-agents", "lots", "--log-file", log.path], scratch: scratch)
        defer { muster.stop() }
        #expect(try await muster.waitForExit() == 0)
        let records = try HeadlessProcess.records(String(contentsOf: log, encoding: .utf8))
        guard case .sessionStart(let start)? = records.first?.event else { Issue.record("no session_start"); return }
        #expect(start.metadata.mode == .interactive)
        let warnings = records.compactMap { if case .warning(let message) = $0.event { message } else { nil } }
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("lots") == true, "\(warnings)")
    }

    @Test("--no-wait cancels background agents as soon as the main turn ends")
    func noWait() async throws {
        let scratch = try HeadlessProcess.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let prompt = HeadlessProcess.sleepPrompt(seconds: 30)
        let started = ContinuousClock.now
        let muster = try HeadlessProcess(["-p", prompt, "--no-wait", "--output-format", "json"], scratch: scratch)
        defer { muster.stop() }
        #expect(try await muster.waitForExit() == 0)
        #expect(ContinuousClock.now - started < .seconds(20))
        let json = try JSONValue.parse(muster.standardOutput)
        #expect(json["background"] == "not_waited")
        #expect(json["text"]?.stringValue?.isEmpty == false)
        let tasks = json["tasks"]?.arrayValue ?? []
        #expect(tasks.first { $0["name"] == "sleeper" }?["status"] == "cancelled")
        #expect(tasks.allSatisfy { ["completed", "cancelled"].contains($0["status"]?.stringValue ?? "") })
        #expect(muster.standardError.contains("Not waiting for background work (--no-wait); cancelled"))
        #expect(HeadlessProcess.processes(containing: prompt).isEmpty)
    }

    @Test("exit codes: a bad flag gives 2 with usage text, a bad script 2 naming the file, a failing agent 1")
    func exitCodes() async throws {
        let scratch = try HeadlessProcess.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }

        let badFlag = try HeadlessProcess(["-p", "quick", "--no-such-flag"], scratch: scratch)
        #expect(try await badFlag.waitForExit() == 2)
        #expect(badFlag.standardError.contains("Unknown option '--no-such-flag'"))
        #expect(badFlag.standardError.contains("Usage: muster"))
        #expect(badFlag.standardOutput == "")

        let badValue = try HeadlessProcess(["-p", "quick", "--output-format", "yaml"], scratch: scratch)
        #expect(try await badValue.waitForExit() == 2)
        #expect(badValue.standardError.contains("yaml"))

        let badScript = try HeadlessProcess(["-p", "quick"], scratch: scratch, script: HeadlessProcess.fixtures.appendingPathComponent("broken.json"))
        #expect(try await badScript.waitForExit() == 2)
        #expect(badScript.standardError.contains("broken.json: agents.main.scenarios[0].turns[0]: unknown key \"sya\""))

        // One model call allowed: the main agent's second call fails it.
        let failing = try HeadlessProcess(["-p", "0.1", "--step-limit", "1", "--output-format", "json"], scratch: scratch)
        #expect(try await failing.waitForExit() == 1)
        let json = try JSONValue.parse(failing.standardOutput)
        #expect(json["status"] == "error")
        #expect(json["error"]?.stringValue?.contains("step limit") == true)
        #expect(failing.standardError.contains("The agent failed"))

        let quick = try HeadlessProcess(["-p", "quick"], scratch: scratch)
        #expect(try await quick.waitForExit() == 0)
        #expect(quick.standardOutput == "Quick answer.\n")
    }

    @Test("a signal mid-run cancels everything, writes the whole log, leaves no child process, and exits 128 + signal",
          arguments: [(SIGTERM, Int32(143), SessionEnding.terminated), (SIGINT, Int32(130), SessionEnding.interrupted)])
    func signalled(signal: Int32, status: Int32, ending: SessionEnding) async throws {
        let scratch = try HeadlessProcess.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let prompt = HeadlessProcess.sleepPrompt(seconds: 30)
        let logFile = scratch.appendingPathComponent("run.jsonl")
        let muster = try HeadlessProcess(["-p", prompt, "--output-format", "stream-json", "--log-file", logFile.path], scratch: scratch)
        defer { muster.stop() }
        // Signal once the sleeper's shell command runs and `fast` has finished: which of the
        // two gets there first is the machine's business, and only the sleeper is to be cancelled.
        try await muster.waitForOutput { output in
            output.contains(#""tool":"shell""#) && output.split(separator: "\n").contains { line in
                line.contains(#""type":"task_finished""#) && line.contains(#""name":"fast""#)
            }
        }
        try await HeadlessProcess.waitUntil(timeout: .seconds(30), what: "the shell's sleep to start") {
            !HeadlessProcess.processes(containing: "sleep \(prompt)").isEmpty
        }
        muster.send(signal)
        #expect(try await muster.waitForExit() == status)

        #expect(HeadlessProcess.processes(containing: prompt).isEmpty, "no process of the run is left")
        let log = try HeadlessProcess.records(String(contentsOf: logFile, encoding: .utf8))
        guard case .sessionEnd(let end)? = log.last?.event else { Issue.record("the log has no session_end"); return }
        #expect(end.ending == ending)
        #expect(end.exitCode == status)
        #expect(end.tasks.first { $0.name == "sleeper" }?.status.word == "cancelled")
        #expect(end.tasks.allSatisfy { $0.isTerminal })
        guard case .result(let result)? = log.dropLast().last?.event else { Issue.record("no result before session_end"); return }
        #expect(result.status == .interrupted)
        #expect(result.exitCode == status)
        let sleeper = end.tasks.first { $0.name == "sleeper" }?.label ?? "?"
        #expect(muster.standardError.contains("cancelled 1 still running: \(sleeper)."))
    }

    @Test("a log written by a process killed with SIGKILL reads back whole, and the next start names the interrupted tasks")
    func killed() async throws {
        let scratch = try HeadlessProcess.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let prompt = HeadlessProcess.sleepPrompt(seconds: 30)
        defer {
            // SIGKILL left the sleeper's shell behind (nothing could stop it): end it here.
            for pid in HeadlessProcess.processes(containing: prompt) { kill(pid, SIGKILL) }
        }
        let muster = try HeadlessProcess(["-p", prompt, "--output-format", "stream-json"], scratch: scratch)
        defer { muster.stop() }
        try await muster.waitForOutput { $0.contains(#""tool":"shell""#) }
        muster.send(SIGKILL)
        #expect(try await muster.waitForExit() == 128 + SIGKILL)

        // Every record streamed before the kill is in the log, whole.
        let streamed = try HeadlessProcess.records(muster.standardOutput).filter { !$0.event.isTextDelta }
        let logText = try String(contentsOf: muster.sessionLog(), encoding: .utf8)
        #expect(logText.hasSuffix("\n"), "no torn line")
        let log = try HeadlessProcess.records(logText)
        #expect(Array(log.prefix(streamed.count)) == streamed)
        #expect(!log.contains { $0.event.type == "session_end" })
        let running = SessionLogRecovery.inspect(try muster.sessionLog()).tasks.filter { !$0.isTerminal }
        #expect(running.map(\.name).contains("sleeper"))

        let next = try HeadlessProcess(["-p", "quick"], scratch: scratch)
        defer { next.stop() }
        #expect(try await next.waitForExit() == 0)
        let names = running.map(\.label).joined(separator: ", ")
        let count = running.count
        let expected = "The last session's log is incomplete (no end record: the session was killed, or could not write its end); \(count) background agent\(count == 1 ? "" : "s") had not finished: \(names)."
        #expect(next.standardError.contains("muster: warning: \(expected)"), "stderr: \(next.standardError)")
        #expect(next.standardOutput == "Quick answer.\n")
    }
}
