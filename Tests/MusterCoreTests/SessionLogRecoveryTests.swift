import Foundation
@testable import MusterCore
import Testing

@Suite("Session log recovery")
struct SessionLogRecoveryTests {
    static let time = Date(timeIntervalSince1970: 1_763_740_800)

    static func start(pid: Int32 = 999_999, id: String = "0000beef") -> String {
        SessionRecord(sequence: 1, time: time, body: .sessionStart(SessionStart(
            sessionID: id, pid: pid, logFile: nil, metadata: SessionMetadata(mode: .interactive, workspace: "/w")
        ))).jsonLine
    }

    static func task(_ type: String, _ id: Int, _ name: String, status: String, mode: TaskMode = .background, kind: TaskKind = .agent) -> String {
        let state = TaskState(id: TaskID(id), name: name, kind: kind, mode: mode, description: "d", status: status, startedAt: time, durationSeconds: 1)
        let body: SessionRecord.Body = switch type {
        case "started": .taskStarted(state)
        case "updated": .taskUpdated(state)
        default: .taskFinished(state)
        }
        return SessionRecord(sequence: id + 1, time: time, body: body).jsonLine
    }

    static func end(id: String = "0000beef") -> String {
        SessionRecord(sequence: 99, time: time, body: .sessionEnd(SessionEnd(sessionID: id, ending: .quit, exitCode: 0, tasks: []))).jsonLine
    }

    static func write(_ lines: [String], to url: URL, trailingNewline: Bool = true) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data((lines.joined(separator: "\n") + (trailingNewline ? "\n" : "")).utf8).write(to: url)
    }

    static let nobodyRuns: @Sendable (Int32) -> Bool = { _ in false }

    @Test("a log with no session_end names the tasks still running, even with a torn last line")
    func unexpectedEnd() throws {
        let url = try HeadlessFixtures.temporaryDirectory().appendingPathComponent("log.jsonl")
        try Self.write([
            Self.start(),
            Self.task("started", 2, "list", status: "pending"),
            Self.task("started", 3, "explore", status: "pending"),
            Self.task("started", 4, "grep", status: "pending"),
            Self.task("updated", 4, "grep", status: "running"),
            Self.task("finished", 2, "list", status: "completed"),
            #"{"type":"task_finished","seq":9,"time":"2025-11-21T16:0"#,
        ], to: url, trailingNewline: false)

        let finding = try #require(SessionLogRecovery.check(location: .file(url), environment: [:], isProcessRunning: Self.nobodyRuns))
        #expect(finding.message == "The last session's log is incomplete (no end record: the session was killed, or could not write its end); 2 background agents had not finished: #3 explore, #4 grep.")
        #expect(finding.sessionID == "0000beef")
        #expect(SessionLogRecovery.inspect(url).unreadableLines == 1)
    }

    @Test("a session that ended properly reports nothing")
    func properEnd() throws {
        let url = try HeadlessFixtures.temporaryDirectory().appendingPathComponent("log.jsonl")
        try Self.write([Self.start(), Self.task("started", 1, "explore", status: "pending"), Self.end()], to: url)
        #expect(SessionLogRecovery.check(location: .file(url), environment: [:], isProcessRunning: Self.nobodyRuns) == nil)
    }

    @Test("a --log-file holding several sessions is judged by its last one")
    func lastSessionOfFile() throws {
        let url = try HeadlessFixtures.temporaryDirectory().appendingPathComponent("log.jsonl")
        try Self.write([Self.start(id: "aaaaaaaa"), Self.task("started", 1, "old", status: "pending"), Self.start(id: "bbbbbbbb"), Self.task("started", 1, "new", status: "pending")], to: url)
        let finding = try #require(SessionLogRecovery.check(location: .file(url), environment: [:], isProcessRunning: Self.nobodyRuns))
        #expect(finding.sessionID == "bbbbbbbb")
        #expect(finding.interruptedTasks.map(\.label) == ["#1 new"])

        try Self.write([Self.start(id: "aaaaaaaa"), Self.task("started", 1, "old", status: "pending"), Self.start(id: "bbbbbbbb"), Self.end(id: "bbbbbbbb")], to: url)
        #expect(SessionLogRecovery.check(location: .file(url), environment: [:], isProcessRunning: Self.nobodyRuns) == nil)
    }

    @Test("in the sessions directory only the newest earlier session counts, and one whose process still runs is skipped")
    func newestInDirectory() throws {
        let state = try HeadlessFixtures.temporaryDirectory()
        let environment = ["XDG_STATE_HOME": state.path]
        let sessions = SessionLogLocation.sessionsDirectory(environment: environment)
        let older = sessions.appendingPathComponent("20251121T100000.000Z-aaaaaaaa.jsonl")
        let newer = sessions.appendingPathComponent("20251121T110000.000Z-bbbbbbbb.jsonl")

        try Self.write([Self.start(id: "aaaaaaaa"), Self.task("started", 1, "explore", status: "running")], to: older)
        try Self.write([Self.start(id: "bbbbbbbb"), Self.end(id: "bbbbbbbb")], to: newer)
        #expect(SessionLogRecovery.check(location: .sessionsDirectory, environment: environment, isProcessRunning: Self.nobodyRuns) == nil)

        try Self.write([Self.start(pid: 4242, id: "bbbbbbbb"), Self.task("started", 1, "grep", status: "running")], to: newer)
        let skipRunning = SessionLogRecovery.check(location: .sessionsDirectory, environment: environment, isProcessRunning: { $0 == 4242 })
        #expect(skipRunning?.sessionID == "aaaaaaaa")
        let newest = SessionLogRecovery.check(location: .sessionsDirectory, environment: environment, isProcessRunning: Self.nobodyRuns)
        #expect(newest?.message == "The last session's log is incomplete (no end record: the session was killed, or could not write its end); 1 background agent had not finished: #1 grep.")

        #expect(SessionLogRecovery.check(location: .disabled, environment: environment) == nil)
        #expect(SessionLogRecovery.check(location: .sessionsDirectory, environment: ["XDG_STATE_HOME": state.appendingPathComponent("none").path]) == nil)
    }

    @Test("the message counts and names the tasks, whatever they are")
    func wording() {
        func state(_ id: Int, _ name: String, mode: TaskMode = .background, kind: TaskKind = .agent) -> TaskState {
            TaskState(id: TaskID(id), name: name, kind: kind, mode: mode, description: "", status: "running", startedAt: Self.time, durationSeconds: 0)
        }
        #expect(SessionLogRecovery.message(interrupted: []) == "The last session's log is incomplete (no end record: the session was killed, or could not write its end).")
        #expect(SessionLogRecovery.message(interrupted: [state(1, "a", mode: .foreground), state(2, "b")])
            == "The last session's log is incomplete (no end record: the session was killed, or could not write its end); 2 agents had not finished: #1 a, #2 b.")
        #expect(SessionLogRecovery.message(interrupted: [state(1, "a", kind: .shell)])
            == "The last session's log is incomplete (no end record: the session was killed, or could not write its end); 1 task had not finished: #1 a.")
        let many = (1...13).map { state($0, "x") }
        #expect(SessionLogRecovery.message(interrupted: many, listing: 2)
            == "The last session's log is incomplete (no end record: the session was killed, or could not write its end); 13 background agents had not finished: #1 x, #2 x and 11 more.")
    }

    @Test("a recorder's log cut off before finish reads back whole and names its running tasks")
    func cutOffRecorder() async throws {
        let url = try HeadlessFixtures.temporaryDirectory().appendingPathComponent("log.jsonl")
        let model = HeadlessTestModel.launcher(subAgents: ["explore", "grep"]) { _ in try await HeadlessTestModel.hang() }
        let session = HeadlessFixtures.session(model: model)
        let tap = RecordTap()
        let recorder = SessionRecorder.start(session: session, log: .file(url), metadata: HeadlessFixtures.metadata, extraSinks: [tap])
        await session.start()
        await session.submit("go")
        await tap.waitUntil { $0.contains { $0.body.type == "turn_end" } && $0.filter { $0.body.type == "task_started" }.count == 2 }
        await recorder.flushLog()

        // As if killed now: the file holds every record so far and no end.
        let records = try HeadlessFixtures.records(in: url)
        #expect(records.first?.body.type == "session_start")
        #expect(records.contains { $0.body.type == "turn_end" })
        #expect(SessionLogRecovery.inspect(url).hasStart)
        let finding = try #require(SessionLogRecovery.finding(in: url, isProcessRunning: Self.nobodyRuns))
        #expect(finding.interruptedTasks.map(\.id) == [TaskID(1), TaskID(2)])
        #expect(finding.interruptedTasks.map(\.name).sorted() == ["explore", "grep"])
        #expect(finding.message.hasPrefix("The last session's log is incomplete (no end record: the session was killed, or could not write its end); 2 background agents had not finished: #1 "))
        await recorder.finish(ending: .quit)
        #expect(SessionLogRecovery.inspect(url).hasEnd)
    }

    @Test("recovery ignores devices and files that are not logs", .enabled(if: FileManager.default.fileExists(atPath: "/dev/zero")))
    func notALog() throws {
        #expect(SessionLogRecovery.check(location: .file(URL(fileURLWithPath: "/dev/zero")), environment: [:]) == nil)
        let url = try HeadlessFixtures.temporaryDirectory().appendingPathComponent("notes.jsonl")
        try Data("hello\nworld".utf8).write(to: url)
        #expect(SessionLogRecovery.check(location: .file(url), environment: [:]) == nil)
        #expect(SessionLogRecovery.inspect(url).unreadableLines == 2)
    }
}
