import Foundation
@testable import MusterCore
import MusterPresentation
import MusterTestSupport
import Testing

@Suite("Tool processes in the session log")
struct ToolProcessRecoveryTests {
    static func record(_ kind: ToolProcessEvent.Kind, group: Int32, startTime: UInt64, marker: String) -> ToolProcessRecord {
        ToolProcessRecord(sessionID: "0000beef", ToolProcessEvent(
            kind: kind, processGroup: group, startTime: startTime, marker: marker, callID: "call-1", taskID: TaskID(2)
        ))
    }

    static func line(_ record: ToolProcessRecord, sequence: Int) -> String {
        SessionRecord(sequence: sequence, time: SessionLogRecoveryTests.time, event: .toolProcess(record), sessionID: record.sessionID).jsonLine
    }

    @Test("a tool_process record reads back as written, with its session id")
    func roundTrip() throws {
        let record = Self.record(.started, group: 4242, startTime: 987_654, marker: "17.99-3")
        let line = Self.line(record, sequence: 5)
        #expect(line.hasPrefix(#"{"type":"tool_process","seq":5,"#))
        #expect(line.contains(#""session_id":"0000beef""#) && line.contains(#""pgid":4242"#) && line.contains(#""start_time":987654"#))
        #expect(line.components(separatedBy: #""session_id""#).count == 2, "session_id once: \(line)")
        #expect(try SessionRecord.parse(line).event == .toolProcess(record))
    }

    @Test("recovery stops the groups that started and never ended, and says how many processes it stopped")
    func recoveryStopsOpenGroups() throws {
        let url = try HeadlessFixtures.temporaryDirectory().appendingPathComponent("log.jsonl")
        let open = Self.record(.started, group: 500, startTime: 1, marker: "1.1-1")
        let closed = Self.record(.started, group: 600, startTime: 2, marker: "1.1-2")
        var ended = closed
        ended.event = .ended
        try SessionLogRecoveryTests.write([
            SessionLogRecoveryTests.start(),
            Self.line(open, sequence: 2), Self.line(closed, sequence: 3), Self.line(ended, sequence: 4),
        ], to: url)
        let asked = Locked<[ToolProcessRecord]>([])
        let finding = try #require(SessionLogRecovery.check(
            location: .file(url), environment: [:], isProcessRunning: SessionLogRecoveryTests.nobodyRuns,
            stopSurvivors: { records in
                asked.withLock { $0 = records }
                return 3
            }
        ))
        #expect(asked.withLock { $0 } == [open])
        #expect(finding.message == "The last session's log is incomplete (no end record: the session was killed, or could not write its end). Stopped 3 processes its tools left running.")
    }

    @Test("only a survivor that is still the same process (pid and start time, or the call's marker) is killed")
    func stopsOnlyTheSameProcesses() async throws {
        let tag = Int.random(in: 100_000...999_999)
        // Each in a session and group of its own, as the shell tool starts commands.
        func spawn(_ name: String, marker: String) throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
            process.arguments = ["/bin/sleep", "300.\(tag)\(name)"]
            process.environment = [ToolProcessRegistry.markerVariable: marker]
            try process.run()
            return process
        }
        _ = try spawn("1", marker: "dead.1-1")
        _ = try spawn("2", marker: "other.1-1")
        defer { for pid in ProcessWatch.sleeps(containing: "300.\(tag)") { kill(pid, SIGKILL) } }
        // setsid may fork (when it starts as a group leader): find the sleeps themselves.
        var same: pid_t = 0
        var reused: pid_t = 0
        #expect(await ProcessWatch.waitUntil(deadline: .now + .seconds(10)) {
            same = ProcessWatch.sleeps(containing: "300.\(tag)1").first ?? 0
            reused = ProcessWatch.sleeps(containing: "300.\(tag)2").first ?? 0
            return same > 0 && reused > 0
        })
        #expect(ProcessWatch.groupID(of: same) == same && ProcessWatch.groupID(of: reused) == reused)
        let startTime = try #require(ProcessStatus.read(pid: same)?.startTime)
        let reusedStartTime = try #require(ProcessStatus.read(pid: reused)?.startTime)
        let records = [
            Self.record(.started, group: same, startTime: startTime, marker: "dead.1-1"),
            // Same pid as a recorded group, but another start time and marker: a reused pid.
            // (Its own start time moved far off: `same`'s plus one tick could be its real one.)
            Self.record(.started, group: reused, startTime: reusedStartTime &+ 100_000, marker: "dead.1-2"),
        ]
        #expect(SessionLogRecovery.stopSurvivors(records) == 1)
        #expect(await ProcessWatch.waitUntil(deadline: .now + .seconds(5)) { !ProcessWatch.isAlive(same) })
        #expect(ProcessWatch.isAlive(reused))
    }

    @Test("the exit summary says that a task's processes were killed instead of claiming it did not stop")
    func exitSummaryIsTruthful() {
        func task(_ id: Int, _ name: String) -> TaskSnapshot {
            TaskSnapshot(
                id: TaskID(id), name: name, kind: .agent, description: "", spawner: .topLevel, mode: .background,
                status: .running(step: 1, activity: nil), cancelRequested: .shutdown, startedAt: .zero, endedAt: nil,
                startDate: .distantPast, age: .zero, trail: []
            )
        }
        let report = TaskRegistry.ShutdownReport(cancelled: [task(2, "worker"), task(3, "thinker")], stragglers: [task(2, "worker"), task(3, "thinker")])
        #expect(ExitSummary.line(for: report, grace: .seconds(2), killed: [TaskID(2)])
            == "2 background agents were cancelled at exit. Processes killed after 2.0s (they did not stop): #2 worker. Did not stop within 2.0s: #3 thinker.")
    }
}
