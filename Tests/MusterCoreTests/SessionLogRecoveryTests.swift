import Foundation
@testable import MusterCore
import MusterTestSupport
import Testing

@Suite("Session log recovery")
struct SessionLogRecoveryTests {
    static let time = Date(timeIntervalSince1970: 1_763_740_800)

    static func start(pid: Int32 = 999_999, id: String = "0000beef") -> String {
        SessionRecord(sequence: 1, time: time, event: .sessionStart(SessionStart(
            sessionID: id, pid: pid, logFile: nil, metadata: SessionMetadata(mode: .interactive, workspace: "/w")
        ))).jsonLine
    }

    static func task(_ type: String, _ id: Int, _ name: String, status: String, mode: TaskMode = .background, kind: TaskKind = .agent) -> String {
        let taskStatus: TaskStatus = switch status {
        case "pending": .pending
        case "running": .running(step: 1, activity: nil)
        case "completed": .completed(summary: "done")
        case "failed": .failed(error: "boom")
        default: .cancelled(by: .user)
        }
        let snapshot = TaskSnapshot.logged(id, name, kind: kind, mode: mode, status: taskStatus, startDate: time)
        let event: TaskRegistryEvent = switch type {
        case "started": .started(snapshot)
        case "updated": .updated(snapshot)
        default: .finished(snapshot)
        }
        return SessionRecord(sequence: id + 1, time: time, event: .task(event)).jsonLine
    }

    static func end(id: String = "0000beef") -> String {
        SessionRecord(sequence: 99, time: time, event: .sessionEnd(SessionEnd(sessionID: id, ending: .quit, exitCode: 0, tasks: []))).jsonLine
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

    @Test("a log written before SessionEvent became the record still reads: its tasks, tool processes and end")
    func oldFormat() throws {
        // Lines as the recorder wrote them before (SessionRecord.Body, TaskState), verbatim.
        let old = [
            #"{"type":"session_start","seq":1,"time":"2025-11-21T16:00:00.125Z","log_file":"/tmp/old.jsonl","max_background_agents":10,"mode":"headless","model":"scripted","pid":999999,"schema_version":1,"session_id":"0badcafe","workspace":"/w"}"#,
            #"{"type":"user_input","seq":2,"time":"2025-11-21T16:00:00.140Z","session_id":"0badcafe","text":"look around"}"#,
            #"{"type":"turn_start","seq":3,"time":"2025-11-21T16:00:00.141Z","session_id":"0badcafe","trigger":"input","turn":1}"#,
            #"{"type":"tool_start","seq":4,"time":"2025-11-21T16:00:00.300Z","session_id":"0badcafe","agent":"main","arguments":{"background":true,"name":"explore","prompt":"map"},"call_id":"call_1","task_id":null,"tool":"agent"}"#,
            #"{"type":"task_started","seq":5,"time":"2025-11-21T16:00:00.301Z","session_id":"0badcafe","task":{"description":"map","duration_seconds":0,"id":1,"kind":"agent","mode":"background","name":"explore","spawner_id":null,"started_at":"2025-11-21T16:00:00.301Z","status":"pending"}}"#,
            #"{"type":"task_started","seq":6,"time":"2025-11-21T16:00:00.302Z","session_id":"0badcafe","task":{"description":"grep","duration_seconds":0,"id":2,"kind":"agent","mode":"background","name":"grep","spawner_id":1,"started_at":"2025-11-21T16:00:00.302Z","status":"pending"}}"#,
            #"{"type":"task_updated","seq":7,"time":"2025-11-21T16:00:00.400Z","session_id":"0badcafe","task":{"activity":"shell","cancel_requested":"user","description":"map","duration_seconds":0.1,"id":1,"kind":"agent","mode":"background","name":"explore","spawner_id":null,"started_at":"2025-11-21T16:00:00.301Z","status":"running","step":1}}"#,
            #"{"type":"tool_process","seq":8,"time":"2025-11-21T16:00:00.410Z","call_id":"call_2","event":"started","marker":"999999.1-1","pgid":999998,"session_id":"0badcafe","start_time":1,"task_id":1}"#,
            #"{"type":"tool_progress","seq":9,"time":"2025-11-21T16:00:00.420Z","session_id":"0badcafe","agent":"explore","call_id":"call_2","line":"x","lines":3,"task_id":1}"#,
            #"{"type":"task_finished","seq":12,"time":"2025-11-21T16:00:00.500Z","session_id":"0badcafe","task":{"cancelled_by":"parent_ended","description":"grep","duration_seconds":0.2,"id":2,"kind":"agent","mode":"background","name":"grep","spawner_id":1,"started_at":"2025-11-21T16:00:00.302Z","status":"cancelled"}}"#,
            #"{"type":"warning","seq":13,"time":"2025-11-21T16:00:00.600Z","session_id":"0badcafe","message":"careful"}"#,
        ]
        let url = try HeadlessFixtures.temporaryDirectory().appendingPathComponent("old.jsonl")
        try Self.write(old, to: url)
        let inspection = SessionLogRecovery.inspect(url)
        #expect(inspection.unreadableLines == 0)
        #expect(inspection.sessionID == "0badcafe")
        #expect(inspection.pid == 999_999)
        #expect(inspection.tasks.map(\.label) == ["#1 explore", "#2 grep"])
        #expect(inspection.tasks.map(\.status) == [.running(step: 1, activity: "shell"), .cancelled(by: .parentEnded(TaskID(1)))])
        #expect(inspection.tasks.first?.cancelRequested == .user)
        #expect(inspection.openToolProcesses.map(\.processGroup) == [999_998])
        var stopped: [ToolProcessRecord] = []
        let finding = try #require(SessionLogRecovery.finding(in: url, isProcessRunning: Self.nobodyRuns) { stopped = $0; return 0 })
        #expect(finding.message == "The last session's log is incomplete (no end record: the session was killed, or could not write its end); 1 background agent had not finished: #1 explore.")
        #expect(stopped.map(\.marker) == ["999999.1-1"])
        // Every line is a record of today's vocabulary too.
        for line in old { #expect(throws: Never.self) { try SessionRecord.parse(line) } }

        try Self.write(old + [
            #"{"type":"session_end","seq":14,"time":"2025-11-21T16:00:00.700Z","ending":"quit","exit_code":0,"session_id":"0badcafe","tasks":[]}"#,
        ], to: url)
        #expect(SessionLogRecovery.finding(in: url, isProcessRunning: Self.nobodyRuns) { _ in 0 } == nil)
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
        func state(_ id: Int, _ name: String, mode: TaskMode = .background, kind: TaskKind = .agent) -> TaskSnapshot {
            .logged(id, name, kind: kind, mode: mode, description: "", status: .running(step: 1, activity: nil), startDate: Self.time)
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
        await session.send(.prompt("go"))
        await tap.waitUntil { $0.contains { $0.event.type == "turn_end" } && $0.filter { $0.event.type == "task_started" }.count == 2 }
        await recorder.flushLog()

        // As if killed now: the file holds every record so far and no end.
        let records = try HeadlessFixtures.records(in: url)
        #expect(records.first?.event.type == "session_start")
        #expect(records.contains { $0.event.type == "turn_end" })
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
