import Foundation
import MusterCore
import Testing

/// Surviving a restart with the built binary: a session with three running background agents is
/// SIGKILLed, `muster --continue` brings them back paused, `/tasks resume all` completes them,
/// and each result reaches the main agent once, also across a further resume.
@Suite("Resume after a kill, end to end", .enabled(if: HeadlessProcess.binary != nil, "build muster first (swift build)"))
struct ResumeEndToEndTests {
    static let script = HeadlessProcess.fixtures.appendingPathComponent("resume.json")

    private static func type(_ line: String, into input: Pipe) {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    /// The session logs of the scratch folder, oldest first.
    private static func logs(in scratch: URL) -> [URL] {
        let directory = scratch.appendingPathComponent("state/muster/sessions")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".jsonl") }
        return names.sorted().map { directory.appendingPathComponent($0) }
    }

    /// Waits until the log holds the three agents' `shell` calls (their conversations, which
    /// precede them, with them) and the calls' process groups (which the next start stops).
    private static func waitForShellCalls(in log: URL) async throws {
        try await HeadlessProcess.waitUntil(timeout: .seconds(30), what: "the three shell calls and their processes in the log") {
            let records = ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n")
            let calls = records.filter { $0.hasPrefix(#"{"type":"tool_start""#) && $0.contains(#""tool":"shell""#) }.count
            let groups = records.filter { $0.hasPrefix(#"{"type":"tool_process""#) }.count
            return calls >= 3 && groups >= 3
        }
    }

    /// The notice lists `#1 …, #2 …, #3 …` in id order; which of tree, todos and largest got which
    /// id depends on how the three side-by-side launches raced, so only the set is fixed.
    private static func namesAllThree(_ output: String, after lead: String, before tail: String) -> Bool {
        output.split(separator: "\n").contains { line in
            guard let start = line.range(of: lead) else { return false }
            var list = line[start.upperBound...]
            if !tail.isEmpty {
                guard let end = list.range(of: tail) else { return false }
                list = list[..<end.lowerBound]
            }
            let entries = list.components(separatedBy: ", ")
            guard entries.count == 3 else { return false }
            let ids = entries.map { $0.split(separator: " ").first.map(String.init) ?? "" }
            let names = Set(entries.map { $0.split(separator: " ").dropFirst().joined(separator: " ") })
            return ids == ["#1", "#2", "#3"] && names == ["tree", "todos", "largest"]
        }
    }

    private static func occurrences(of text: String, in output: String) -> Int {
        output.components(separatedBy: text).count - 1
    }

    @Test("SIGKILL with three running agents, --continue shows them paused, /tasks resume all completes them, each result delivered once; a further --resume delivers none again; --resume lists both")
    func killAndContinue() async throws {
        let scratch = try HeadlessProcess.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let seconds = HeadlessProcess.sleepPrompt(seconds: 300)
        defer { for pid in HeadlessProcess.processes(containing: "sleep \(seconds)") { kill(pid, SIGKILL) } }

        // 1. Three agents inside their `sleep`, then SIGKILL: no end record, no cleanup.
        let input = Pipe()
        let first = try HeadlessProcess(["--plain"], scratch: scratch, script: Self.script, input: input)
        defer { first.stop() }
        Self.type(seconds, into: input)
        try await first.waitForOutput { $0.contains("All three are running.") }
        try await HeadlessProcess.waitUntil(timeout: .seconds(30), what: "three sleeps") {
            HeadlessProcess.processes(containing: "sleep \(seconds)").count >= 3
        }
        let firstLog = try first.sessionLog()
        try await Self.waitForShellCalls(in: firstLog)
        first.send(SIGKILL)
        #expect(try await first.waitForExit() == 128 + SIGKILL)
        let firstID = try #require(try HeadlessProcess.records(String(contentsOf: firstLog, encoding: .utf8)).first?.sessionID)

        // 2. --continue: the conversation on screen, the agents paused, their sleeps stopped.
        let again = Pipe()
        let second = try HeadlessProcess(["--plain", "--continue"], scratch: scratch, script: Self.script, input: again)
        defer { second.stop() }
        try await second.waitForOutput {
            Self.namesAllThree($0, after: "3 interrupted background agents restored as paused: ", before: " — /tasks resume all to continue")
        }
        #expect(second.standardOutput.contains("Resumed session \(firstID):"))
        #expect(second.standardOutput.contains("› \(seconds)"), "the restored conversation is shown: \(second.standardOutput)")
        #expect(second.standardOutput.contains("All three are running."))
        #expect(!second.standardOutput.contains("log is incomplete"), "the resume's notice replaces recovery's")
        // The killed session's tool processes were stopped at start (SIGKILL: gone in a moment).
        try await HeadlessProcess.waitUntil(timeout: .seconds(10), what: "the killed session's sleeps to be gone") {
            HeadlessProcess.processes(containing: "sleep \(seconds)").isEmpty
        }
        Self.type("/tasks", into: again)
        try await second.waitForOutput { Self.occurrences(of: " paused ", in: $0) >= 3 }
        Self.type("/tasks resume all", into: again)
        try await second.waitForOutput { output in
            ["tree", "todos", "largest"].allSatisfy { output.contains("Got \($0) (completed).") }
        }
        Self.type("/quit", into: again)
        #expect(try await second.waitForExit() == 0)
        let secondOutput = second.standardOutput
        for name in ["tree", "todos", "largest"] {
            #expect(Self.occurrences(of: "Got \(name) (completed).", in: secondOutput) == 1, "\(name) delivered once: \(secondOutput)")
        }
        let logs = Self.logs(in: scratch)
        #expect(logs.count == 2)
        let secondLog = try #require(logs.last)
        let secondID = try #require(try HeadlessProcess.records(String(contentsOf: secondLog, encoding: .utf8)).first?.sessionID)
        #expect(secondOutput.contains("Session \(secondID) · log: ") && secondOutput.contains(" · resume: muster --resume \(secondID)"))

        // 3. Resuming that session headless: nothing is delivered twice; the conversation goes on.
        let third = try HeadlessProcess(["-p", "quick", "--resume", secondID], scratch: scratch, script: Self.script)
        defer { third.stop() }
        #expect(try await third.waitForExit() == 0)
        #expect(third.standardOutput == "Quick answer.\n", "only the new answer: \(third.standardOutput) \(third.standardError)")
        #expect(third.standardError.contains("Resumed session \(secondID):"))
        #expect(!third.standardError.contains("restored as paused"), "the agents finished: none comes back")

        // 4. The list: the newest first, with first prompts and task counts.
        let list = try HeadlessProcess(["--resume"], scratch: scratch, script: Self.script)
        defer { list.stop() }
        #expect(try await list.waitForExit() == 0)
        let rows = list.standardOutput.split(separator: "\n").map(String.init)
        #expect(rows.count == 5, "\(list.standardOutput)")
        #expect(rows.dropFirst(2).first?.hasPrefix("\(HeadlessProcess.sessionIDOfNewest(in: Self.logs(in: scratch)))") == true)
        #expect(rows.contains { $0.hasPrefix(firstID) && $0.contains("3 (3 unfinished)") && $0.contains(seconds) && $0.hasSuffix("[incomplete]") })
    }

    @Test("headless --continue --resume-background resumes the restored agents and summarises their results")
    func headlessResumeBackground() async throws {
        let scratch = try HeadlessProcess.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let seconds = HeadlessProcess.sleepPrompt(seconds: 300)
        defer { for pid in HeadlessProcess.processes(containing: "sleep \(seconds)") { kill(pid, SIGKILL) } }
        let first = try HeadlessProcess(["-p", seconds], scratch: scratch, script: Self.script)
        defer { first.stop() }
        try await HeadlessProcess.waitUntil(timeout: .seconds(30), what: "three sleeps") {
            HeadlessProcess.processes(containing: "sleep \(seconds)").count >= 3
        }
        try await Self.waitForShellCalls(in: try first.sessionLog())
        first.send(SIGKILL)
        _ = try await first.waitForExit()

        let second = try HeadlessProcess(["-p", "quick", "--continue", "--resume-background"], scratch: scratch, script: Self.script)
        defer { second.stop() }
        #expect(try await second.waitForExit() == 0)
        #expect(Self.namesAllThree(second.standardError, after: "3 interrupted background agents restored and resumed: ", before: ""), "\(second.standardError)")
        for name in ["tree", "todos", "largest"] {
            #expect(Self.occurrences(of: "Got \(name) (completed).", in: second.standardOutput) == 1, "\(second.standardOutput)")
        }
        #expect(second.standardOutput.hasPrefix("Quick answer.\n"))
    }

    @Test("bad input from the command line: an unknown id and a session of another workspace exit 2 with the reason; --continue with nothing to continue starts a new session")
    func badInput() async throws {
        let scratch = try HeadlessProcess.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let unknown = try HeadlessProcess(["-p", "quick", "--resume", "0badc0de"], scratch: scratch, script: Self.script)
        defer { unknown.stop() }
        #expect(try await unknown.waitForExit() == 2)
        #expect(unknown.standardError.contains("No session 0badc0de in "))

        let fresh = try HeadlessProcess(["-p", "quick", "--continue"], scratch: scratch, script: Self.script)
        defer { fresh.stop() }
        #expect(try await fresh.waitForExit() == 0)
        #expect(fresh.standardError.contains("No earlier session in "), "\(fresh.standardError)")
        let id = try #require(try HeadlessProcess.records(String(contentsOf: try fresh.sessionLog(), encoding: .utf8)).first?.sessionID)

        let elsewhere = scratch.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        let other = try HeadlessProcess(["-p", "quick", "--resume", id, "--workspace", elsewhere.path], scratch: scratch, script: Self.script)
        defer { other.stop() }
        #expect(try await other.waitForExit() == 2)
        #expect(other.standardError.contains("Session \(id) ran in "), "\(other.standardError)")
        #expect(other.standardError.contains("with --workspace "), "\(other.standardError)")
    }
}

extension HeadlessProcess {
    /// The session id of the newest log of `logs` (sorted oldest first).
    static func sessionIDOfNewest(in logs: [URL]) -> String {
        guard let newest = logs.last, let text = try? String(contentsOf: newest, encoding: .utf8) else { return "?" }
        return (try? records(text).first?.sessionID).flatMap { $0 } ?? "?"
    }
}
