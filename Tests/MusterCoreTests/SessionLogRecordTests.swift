import Foundation
@testable import MusterCore
import Testing

@Suite("Session log records")
struct SessionLogRecordTests {
    // Whole milliseconds: the JSON keeps millisecond precision.
    static let time = Date(timeIntervalSince1970: 1_763_740_800.125)

    static let task = TaskState(
        id: TaskID(3), name: "explore", mode: .background, spawnerID: TaskID(1), description: "look around",
        status: "cancelled", cancelledBy: "shutdown", startedAt: time, durationSeconds: 1.5
    )

    static let everyBody: [SessionRecord.Body] = [
        .sessionStart(SessionStart(
            sessionID: "0badcafe", pid: 42, logFile: "/tmp/x.jsonl",
            metadata: SessionMetadata(mode: .headless, workspace: "/work", model: "scripted", script: "demo.json", maxBackgroundAgents: 10)
        )),
        .userInput(text: "hello \"world\"\n"),
        .slashCommand(command: "/tasks stop 3"),
        .turnStart(turn: 1, trigger: .input),
        .turnStart(turn: 2, trigger: .backgroundResults),
        .turnEnd(turn: 1, outcome: .completed(text: "done")),
        .turnEnd(turn: 2, outcome: .cancelled),
        .turnEnd(turn: 3, outcome: .failed(error: "model failed")),
        .textDelta(agent: .main, text: "Hel"),
        .assistantMessage(agent: AgentRef(name: "explore", taskID: TaskID(3)), text: "Hello"),
        .toolStart(agent: .main, callID: "call_1", tool: "grep", arguments: ["pattern": "TODO", "paths": ["a", "b"], "limit": 3]),
        .toolProgress(agent: AgentRef(name: "grep", taskID: TaskID(4)), callID: "call_2", line: "a.swift:3: TODO"),
        .toolEnd(agent: .main, callID: "call_1", tool: "grep", output: "3 matches", isError: false),
        .toolEnd(agent: .main, callID: "call_9", tool: "nope", output: "Unknown tool", isError: true),
        .taskStarted(TaskState(id: TaskID(1), name: "grep", mode: .foreground, description: "find", status: "pending", startedAt: time, durationSeconds: 0)),
        .taskUpdated(TaskState(id: TaskID(1), name: "grep", mode: .foreground, description: "find", status: "running", step: 2, activity: "grep", cancelRequested: "user", startedAt: time, durationSeconds: 0.25)),
        .taskFinished(task),
        .taskFinished(TaskState(id: TaskID(5), name: "a", mode: .background, description: "d", status: "completed", summary: "ok", startedAt: time, durationSeconds: 2)),
        .taskFinished(TaskState(id: TaskID(6), name: "b", mode: .background, description: "d", status: "failed", error: "boom", startedAt: time, durationSeconds: 2)),
        .resultsWaiting(spawnerID: nil, count: 2),
        .resultsWaiting(spawnerID: TaskID(3), count: 0),
        .modelUsage(agent: .main, usage: Usage(inputTokens: 100, outputTokens: 20)),
        .warning(message: "careful"),
        .result(RunResult(
            status: .success, text: "The answer", exitCode: 0, durationSeconds: 3.5, usage: Usage(inputTokens: 1, outputTokens: 2),
            turns: 2, background: .timedOut, cancelledTaskIDs: [TaskID(3)], undeliveredTaskIDs: [TaskID(3)], tasks: [task]
        )),
        .result(RunResult(status: .error, text: "", error: "failed", exitCode: 1, durationSeconds: 0, usage: Usage(), turns: 1, background: .none, tasks: [])),
        .sessionEnd(SessionEnd(sessionID: "0badcafe", ending: .interrupted, exitCode: 130, tasks: [task])),
        .sessionEnd(SessionEnd(sessionID: "0badcafe", ending: .quit, exitCode: nil, tasks: [])),
    ]

    @Test("every record type survives a round trip through its JSON line")
    func roundTrip() throws {
        for (index, body) in Self.everyBody.enumerated() {
            let record = SessionRecord(sequence: index + 1, time: Self.time, body: body)
            let line = record.jsonLine
            #expect(!line.contains("\n"), "one line per record: \(line)")
            let parsed = try SessionRecord.parse(line)
            #expect(parsed.body == body, "\(body.type) changed in a round trip: \(line)")
            #expect(parsed.sequence == index + 1)
            #expect(parsed.jsonLine == line)
        }
    }

    @Test("the standard Codable encoding reads back the same as the JSON line")
    func codableAgreesWithLine() throws {
        let encoder = JSONEncoder()
        for body in Self.everyBody {
            let record = SessionRecord(sequence: 7, time: Self.time, body: body)
            let decoded = try JSONDecoder().decode(SessionRecord.self, from: encoder.encode(record))
            #expect(decoded.body == body)
            #expect(decoded.jsonLine == record.jsonLine)
        }
    }

    @Test("a line starts with type, seq and time, and ids are explicit nulls for the main agent")
    func lineShape() throws {
        let record = SessionRecord(sequence: 12, time: Self.time, body: .toolStart(agent: .main, callID: "call_1", tool: "grep", arguments: [:]))
        #expect(record.jsonLine.hasPrefix(#"{"type":"tool_start","seq":12,"time":"2025-11-21T16:00:00.125Z","#))
        let object = try JSONValue.parse(record.jsonLine)
        #expect(object["task_id"] == .null)
        #expect(object["agent"] == "main")
        #expect(object["call_id"] == "call_1")
    }

    @Test("every session event maps to the record of its type")
    func eventMapping() {
        let snapshot = TaskSnapshot.sample
        let cases: [(SessionEvent, String)] = [
            (.userInput(text: "hi"), "user_input"),
            (.turnStart(turn: 1, trigger: .input("hi")), "turn_start"),
            (.turnEnd(turn: 1, outcome: .cancelled), "turn_end"),
            (.textDelta(agent: .main, text: "a"), "text_delta"),
            (.assistantMessage(agent: .main, text: "a"), "assistant_message"),
            (.toolStart(agent: .main, callID: "c", tool: "t", arguments: [:]), "tool_start"),
            (.toolProgress(agent: .main, callID: "c", line: "l"), "tool_progress"),
            (.toolEnd(agent: .main, callID: "c", tool: "t", output: .error("bad")), "tool_end"),
            (.task(.started(snapshot)), "task_started"),
            (.task(.updated(snapshot)), "task_updated"),
            (.task(.finished(snapshot)), "task_finished"),
            (.task(.resultsWaiting(.topLevel, count: 1)), "results_waiting"),
            (.modelUsage(agent: .main, usage: Usage()), "model_usage"),
            (.warning("w"), "warning"),
        ]
        for (event, type) in cases {
            #expect(SessionRecord.Body(event).type == type)
        }
        #expect(SessionRecord.Body(.toolEnd(agent: .main, callID: "c", tool: "t", output: .error("bad")))
            == .toolEnd(agent: .main, callID: "c", tool: "t", output: "bad", isError: true))
    }

    @Test("a task snapshot keeps its status details, spawner and pending cancel")
    func taskStateFromSnapshot() {
        let state = TaskState(TaskSnapshot.sample)
        #expect(state.id == TaskID(4))
        #expect(state.status == "running")
        #expect(state.step == 2)
        #expect(state.activity == "grep")
        #expect(state.spawnerID == TaskID(2))
        #expect(state.cancelRequested == "user")
        #expect(state.durationSeconds == 1.5)
        #expect(!state.isTerminal)
    }

    @Test("a sub-agent's records wait for its task_started, and nothing is lost at the end")
    func causalOrder() {
        var ordering = RecordOrdering()
        let explore = AgentRef(name: "explore", taskID: TaskID(3))
        let early = Self.time
        let later = Self.time.addingTimeInterval(1)
        #expect(ordering.admit(.textDelta(agent: explore, text: "a"), at: early).isEmpty)
        #expect(ordering.admit(.toolStart(agent: explore, callID: "c", tool: "grep", arguments: [:]), at: early).isEmpty)
        #expect(ordering.admit(.assistantMessage(agent: .main, text: "main goes on"), at: early).map(\.body.type) == ["assistant_message"])
        let started = TaskState(id: TaskID(3), name: "explore", mode: .background, description: "d", status: "pending", startedAt: early, durationSeconds: 0)
        #expect(ordering.admit(.taskStarted(started), at: later).map(\.body.type) == ["task_started", "text_delta", "tool_start"])
        #expect(ordering.admit(.textDelta(agent: explore, text: "b"), at: later).count == 1)
        let orphan = AgentRef(name: "grep", taskID: TaskID(9))
        #expect(ordering.admit(.toolProgress(agent: orphan, callID: "d", line: "x"), at: later).isEmpty)
        #expect(ordering.releaseAll().map(\.body.type) == ["tool_progress"])
        #expect(ordering.releaseAll().isEmpty)
    }

    @Test("times print to the nearest millisecond and read back to the same text")
    func timePrecision() throws {
        for offset in [0.0, 0.0004, 0.0005, 0.2549, 0.9996, 0.254_999_999] {
            let record = SessionRecord(sequence: 1, time: Date(timeIntervalSince1970: 1_763_740_800 + offset), body: .warning(message: "m"))
            let reparsed = try SessionRecord.parse(record.jsonLine)
            #expect(reparsed.jsonLine == record.jsonLine)
        }
        let rounded = SessionRecord(sequence: 1, time: Date(timeIntervalSince1970: 1_763_740_800.9996), body: .warning(message: "m"))
        #expect(rounded.jsonLine.contains(#""time":"2025-11-21T16:00:01.000Z""#))
        let before1970 = SessionRecord(sequence: 1, time: Date(timeIntervalSince1970: -0.25), body: .warning(message: "m"))
        #expect(before1970.jsonLine.contains(#""time":"1969-12-31T23:59:59.750Z""#))
    }

    @Test("an unknown type or a bad time is a clear decoding error")
    func badLines() {
        #expect(throws: DecodingError.self) { try SessionRecord.parse(#"{"type":"nope","seq":1,"time":"2025-11-21T16:00:00.125Z"}"#) }
        #expect(throws: DecodingError.self) { try SessionRecord.parse(#"{"type":"warning","seq":1,"time":"yesterday","message":"m"}"#) }
        #expect(throws: (any Error).self) { try SessionRecord.parse(#"{"type":"warning","seq":1,"#) }
    }
}

extension TaskSnapshot {
    /// A running background agent #4 launched by #2, with a cancel requested.
    static var sample: TaskSnapshot {
        TaskSnapshot(
            id: TaskID(4), name: "grep", kind: .agent, description: "find TODOs", spawner: .task(TaskID(2)),
            mode: .background, status: .running(step: 2, activity: "grep"), cancelRequested: .user,
            startedAt: .seconds(1), endedAt: nil, startDate: SessionLogRecordTests.time, age: .milliseconds(1500), trail: []
        )
    }
}
