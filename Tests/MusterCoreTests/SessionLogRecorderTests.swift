import Foundation
import MusterCore
import MusterTestSupport
import Testing

@Suite("Session log recorder")
struct SessionLogRecorderTests {
    @Test("the log writer hands each record to the OS at once: a reader sees it before close")
    func writerWritesThrough() throws {
        let directory = try HeadlessFixtures.temporaryDirectory()
        let url = directory.appendingPathComponent("nested/dir/log.jsonl")
        let writer = try SessionLogWriter(url: url)
        try writer.write("{\"a\":1}\n")
        #expect(try String(contentsOf: url, encoding: .utf8) == "{\"a\":1}\n")
        try writer.write("{\"b\":2}\n")
        #expect(try String(contentsOf: url, encoding: .utf8) == "{\"a\":1}\n{\"b\":2}\n")
        writer.close()
        #expect(throws: SessionSinkError.self) { try writer.write("{}\n") }
    }

    @Test("records reach the file as they happen, before the session ends")
    func recordsWrittenThrough() async throws {
        let directory = try HeadlessFixtures.temporaryDirectory()
        let url = directory.appendingPathComponent("session.jsonl")
        let session = HeadlessFixtures.session(model: HeadlessTestModel { _ in HeadlessTestModel.say("Hi there.") })
        let tap = RecordTap()
        let recorder = SessionRecorder.start(session: session, log: .file(url), metadata: HeadlessFixtures.metadata, extraSinks: [tap])
        recorder.record(.slashCommand(command: "/tasks"))
        await recorder.flush()

        let early = try HeadlessFixtures.records(in: url)
        #expect(early.map(\.event.type) == ["session_start", "slash_command"])
        guard case .sessionStart(let start) = early.first?.event else { Issue.record("no session_start"); return }
        #expect(start.sessionID == recorder.sessionID)
        #expect(start.pid == getpid())
        #expect(start.logFile == url.path)

        await session.start()
        await session.send(.prompt("hello"))
        await tap.waitUntil { $0.contains { $0.event.type == "turn_end" } && $0.filter { $0.event.type == "task_started" }.count == 0 }
        await recorder.flushLog()
        let types = try HeadlessFixtures.records(in: url).map(\.event.type)
        #expect(types.contains("user_input"))
        #expect(types.contains("assistant_message"))
        #expect(types.last == "turn_end")
        #expect(!types.contains("session_end"))

        await recorder.finish(ending: .quit)
        let records = try HeadlessFixtures.records(in: url)
        #expect(records.last?.event == .sessionEnd(SessionEnd(sessionID: recorder.sessionID, ending: .quit, exitCode: 0, tasks: [])))
        // Increasing; the numbers of text deltas (not logged) are skipped.
        #expect(records.map(\.sequence) == records.map(\.sequence).sorted())
        #expect(Set(records.map(\.sequence)).count == records.count)
        #expect(records.first?.sequence == 1)
    }

    @Test("a new log goes to $XDG_STATE_HOME/muster/sessions/<time>-<id>.jsonl")
    func defaultLocation() async throws {
        let state = try HeadlessFixtures.temporaryDirectory()
        let session = HeadlessFixtures.session(model: HeadlessTestModel { _ in [] })
        let recorder = SessionRecorder.start(
            session: session, log: .sessionsDirectory, metadata: HeadlessFixtures.metadata,
            environment: ["XDG_STATE_HOME": state.path, "HOME": "/nonexistent"],
            now: Date(timeIntervalSince1970: 1_763_740_800.125)
        )
        await recorder.finish(ending: .quit)
        let expected = state.appendingPathComponent("muster/sessions/20251121T160000.125Z-\(recorder.sessionID).jsonl")
        #expect(recorder.logFile?.path == expected.path)
        #expect(FileManager.default.fileExists(atPath: expected.path))
        #expect(recorder.sessionID.count == 8)
        #expect(SessionLogLocation.sessionsDirectory(environment: ["XDG_STATE_HOME": "relative", "HOME": "/home/u"]).path
            == "/home/u/.local/state/muster/sessions")
    }

    @Test("session_end gives the final state of every task, also those cancelled at shutdown")
    func sessionEndListsTasks() async throws {
        let directory = try HeadlessFixtures.temporaryDirectory()
        let url = directory.appendingPathComponent("session.jsonl")
        let model = HeadlessTestModel.launcher(subAgents: ["explore", "grep"]) { _ in try await HeadlessTestModel.hang() }
        let session = HeadlessFixtures.session(model: model)
        let recorder = SessionRecorder.start(session: session, log: .file(url), metadata: HeadlessFixtures.metadata)
        await session.start()
        await session.send(.prompt("go"))
        await session.waitUntilIdle()
        let tally = await recorder.finish(ending: .interrupted)

        guard case .sessionEnd(let end)? = try HeadlessFixtures.records(in: url).last?.event else {
            Issue.record("the log does not end with session_end")
            return
        }
        #expect(end.ending == .interrupted)
        #expect(end.exitCode == 130)
        // The two agent calls run concurrently: either may get #1.
        #expect(end.tasks.map(\.name).sorted() == ["explore", "grep"])
        #expect(end.tasks.map(\.id) == [TaskID(1), TaskID(2)])
        #expect(end.tasks.allSatisfy { $0.status == .cancelled(by: .shutdown) && $0.mode == .background })
        #expect(tally.tasks.values.map(\.label) == end.tasks.map(\.label))
        #expect(tally.tasks.values.map(\.status) == end.tasks.map(\.status))
        #expect(tally.lastAnswer == "Launched.")
    }

    @Test("a task's task_started comes before every record of its agent, and its task_finished after them")
    func causalOrder() async throws {
        let url = try HeadlessFixtures.temporaryDirectory().appendingPathComponent("session.jsonl")
        let model = HeadlessTestModel.launcher(subAgents: ["explore", "grep"]) { request in
            HeadlessTestModel.say("\(request.agentName) found it.")
        }
        let session = HeadlessFixtures.session(model: model)
        let tap = RecordTap()
        let recorder = SessionRecorder.start(session: session, log: .file(url), metadata: HeadlessFixtures.metadata, extraSinks: [tap])
        await session.start()
        await session.send(.prompt("go"))
        await tap.waitUntil { $0.filter { $0.event.type == "task_finished" }.count == 2 }
        let tally = await recorder.finish(ending: .quit)
        #expect(tally.tasks.values.map(\.status.word) == ["completed", "completed"])

        var started = Set<TaskID>()
        var finished = Set<TaskID>()
        var agentRecords = 0
        for record in try HeadlessFixtures.records(in: url) {
            switch record.event {
            case .task(.started(let task)): started.insert(task.id)
            case .task(.finished(let task)): finished.insert(task.id)
            default:
                guard let id = record.event.agent?.taskID else { continue }
                agentRecords += 1
                #expect(started.contains(id), "\(record.event.type) of \(id) before its task_started")
                #expect(!finished.contains(id), "\(record.event.type) of \(id) after its task_finished")
            }
        }
        #expect(started == [TaskID(1), TaskID(2)])
        #expect(agentRecords > 0, "the sub-agents' own records were logged")
    }

    @Test("a write failure is reported once, as a warning on the session's events, and the session goes on")
    func writeFailureReportedOnce() async throws {
        let session = HeadlessFixtures.session(model: HeadlessTestModel { _ in HeadlessTestModel.say("Many records follow.") })
        let warnings = session.events.subscribe()
        let recorder = SessionRecorder.start(
            session: session, log: .disabled, metadata: HeadlessFixtures.metadata, extraSinks: [FailingSink()]
        )
        // The first write (session_start) fails; the warning goes out while the session is open.
        await recorder.flush()
        await session.start()
        for prompt in ["one", "two", "three"] {
            await session.send(.prompt(prompt))
            await session.waitUntilIdle()
        }
        let tally = await recorder.finish(ending: .quit)
        #expect(tally.turns == 3)
        var seen: [String] = []
        for await event in warnings { if case .warning(let message) = event { seen.append(message) } }
        #expect(seen.count == 1)
        #expect(seen.first?.hasPrefix("Cannot write the test sink: disk full.") == true)
        #expect(recorder.logFailure == seen.first)
    }

    @Test("appending after a torn last line starts a new line, so every record stays readable")
    func appendAfterTornLine() async throws {
        let directory = try HeadlessFixtures.temporaryDirectory()
        let url = directory.appendingPathComponent("log.jsonl")
        try Data(#"{"type":"task_started","seq":3,"ti"#.utf8).write(to: url)
        let session = HeadlessFixtures.session(model: HeadlessTestModel { _ in [] })
        let recorder = SessionRecorder.start(session: session, log: .file(url), metadata: HeadlessFixtures.metadata)
        await recorder.finish(ending: .quit)
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0] == #"{"type":"task_started","seq":3,"ti"#)
        #expect(try SessionRecord.parse(lines[1]).event.type == "session_start")
        #expect(try SessionRecord.parse(lines[2]).event.type == "session_end")
    }

    @Test("finish is idempotent and later records are dropped, not written after session_end")
    func finishTwice() async throws {
        let directory = try HeadlessFixtures.temporaryDirectory()
        let url = directory.appendingPathComponent("log.jsonl")
        let session = HeadlessFixtures.session(model: HeadlessTestModel { _ in [] })
        let recorder = SessionRecorder.start(session: session, log: .file(url), metadata: HeadlessFixtures.metadata)
        async let first = recorder.finish(ending: .quit)
        async let second = recorder.finish(ending: .error)
        _ = await (first, second)
        recorder.record(.warning("too late"))
        await recorder.flush()
        #expect(try HeadlessFixtures.records(in: url).map(\.event.type) == ["session_start", "session_end"])
    }
}

/// A sink whose every write fails, like a full disk.
private struct FailingSink: SessionRecordSink {
    var displayName: String { "the test sink" }
    var wantsTextDeltas: Bool { true }
    func write(_ line: String) throws(SessionSinkError) { throw SessionSinkError("Cannot write the test sink: disk full.") }
    func close() {}
}

/// A sink that blocks in `write` (on its own queue) until opened, like a pipe nobody reads.
private final class StalledSink: SessionRecordSink {
    private let gate = DispatchGroup()
    private let lines = Locked<[String]>([])

    init() { gate.enter() }

    var displayName: String { "the stalled sink" }
    var wantsTextDeltas: Bool { true }

    func write(_ line: String) throws(SessionSinkError) {
        gate.wait()
        lines.withLock { $0.append(line) }
    }

    func close() {}

    /// Lets every write through, now and later.
    func open() { gate.leave() }

    var records: [SessionRecord] {
        get throws {
            try lines.withLock { $0 }.joined().split(separator: "\n").map { try SessionRecord.parse($0) }
        }
    }
}

@Suite("Session log under load")
struct SessionLogLoadTests {
    @Test("a flood of progress lines while a sink is stalled keeps the waiting records bounded, and each record says how many lines it stands for")
    func floodIsBounded() async throws {
        let url = try HeadlessFixtures.temporaryDirectory().appendingPathComponent("session.jsonl")
        let session = HeadlessFixtures.session(model: HeadlessTestModel { _ in [] })
        let stalled = StalledSink()
        let tap = RecordTap()
        let recorder = SessionRecorder.start(
            session: session, log: .file(url), metadata: HeadlessFixtures.metadata, extraSinks: [stalled, tap],
            coalescingThreshold: 100
        )
        let flood = 50_000
        for index in 1...flood {
            session.events.publish(.toolProgress(agent: .main, callID: "c1", line: "y \(index)"))
        }
        session.events.publish(.warning("flood over"))
        await tap.waitUntil { $0.last?.event == .warning("flood over") }
        await recorder.flushLog()
        // The stalled sink holds its first write; everything after waits, one record per call.
        #expect(recorder.mostRecordsWaiting <= 100 + 2)

        func lines(_ records: [SessionRecord]) -> (count: Int, last: String?) {
            records.reduce(into: (0, nil as String?)) { sum, record in
                if case .toolProgress(_, "c1", let line, let lines) = record.event { sum = (sum.0 + lines, line) }
            }
        }
        let logged = try HeadlessFixtures.records(in: url)
        #expect(lines(logged).count == flood)
        #expect(lines(logged).last == "y \(flood)")

        stalled.open()
        await recorder.finish(ending: .quit)
        let delivered = try stalled.records
        #expect(lines(delivered).count == flood)
        #expect(delivered.filter { $0.event.type == "tool_progress" }.count < 200, "the stalled sink got the flood coalesced")
        #expect(delivered.last?.event.type == "session_end")
    }

    @Test("a stalled stream-json reader never holds back the log file")
    func stalledStreamDoesNotHoldTheLog() async throws {
        let url = try HeadlessFixtures.temporaryDirectory().appendingPathComponent("session.jsonl")
        let session = HeadlessFixtures.session(model: HeadlessTestModel { _ in [] })
        let stalled = StalledSink()
        let recorder = SessionRecorder.start(session: session, log: .file(url), metadata: HeadlessFixtures.metadata, extraSinks: [stalled])
        recorder.record(.slashCommand(command: "/tasks"))
        await recorder.flushLog()
        #expect(try HeadlessFixtures.records(in: url).map(\.event.type) == ["session_start", "slash_command"])
        stalled.open()
        await recorder.finish(ending: .quit)
        #expect(try stalled.records.map(\.event.type) == ["session_start", "slash_command", "session_end"])
    }

    @Test("the end gives up on a sink that takes nothing, says so, and still completes the log")
    func stuckSinkDoesNotHoldTheEnd() async throws {
        let url = try HeadlessFixtures.temporaryDirectory().appendingPathComponent("session.jsonl")
        let session = HeadlessFixtures.session(model: HeadlessTestModel { _ in [] })
        let stalled = StalledSink()
        defer { stalled.open() }
        let recorder = SessionRecorder.start(session: session, log: .file(url), metadata: HeadlessFixtures.metadata, extraSinks: [stalled])
        await recorder.finish(ending: .quit)
        #expect(try HeadlessFixtures.records(in: url).map(\.event.type) == ["session_start", "session_end"])
        #expect(recorder.logFailure == "the stalled sink stopped taking records; 2 records at the end could not be written.")
    }

    @Test("a FIFO, a device or a directory is refused as the log at once, with what it is", arguments: ["fifo", "/dev/null", "directory"])
    func irregularLogRefused(kind: String) async throws {
        let directory = try HeadlessFixtures.temporaryDirectory()
        let path: String
        let expected: String
        switch kind {
        case "fifo":
            path = directory.appendingPathComponent("log.fifo").path
            try #require(mkfifo(path, 0o600) == 0)
            expected = "a FIFO"
        case "directory":
            path = directory.path
            expected = "a directory"
        default:
            path = kind
            expected = "a device"
        }
        let session = HeadlessFixtures.session(model: HeadlessTestModel { _ in [] })
        let recorder = SessionRecorder.start(session: session, log: .file(URL(fileURLWithPath: path)), metadata: HeadlessFixtures.metadata)
        #expect(recorder.logFile == nil)
        #expect(recorder.logFailure == "The session log \(path) is \(expected); Muster writes its log only to a regular file. The session goes on without a log.")
        await recorder.finish(ending: .quit)
    }
}
