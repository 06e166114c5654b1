import Foundation
@testable import MusterCore
import Testing

@Suite("Session log records")
struct SessionLogRecordTests {
    // Whole milliseconds: the JSON keeps millisecond precision.
    static let time = Date(timeIntervalSince1970: 1_763_740_800.125)

    static let task = TaskSnapshot.logged(
        3, "explore", spawner: .task(TaskID(1)), description: "look around", status: .cancelled(by: .shutdown), age: .seconds(1.5)
    )

    /// Every case of `SessionEvent`, and every shape of its payload.
    static let everyEvent: [SessionEvent] = [
        .sessionStart(SessionStart(
            sessionID: "0badcafe", pid: 42, logFile: "/tmp/x.jsonl",
            metadata: SessionMetadata(mode: .headless, workspace: "/work", model: "scripted", script: "demo.json", maxBackgroundAgents: 10)
        )),
        .userInput(text: "hello \"world\"\n"),
        .slashCommand(command: "/tasks stop 3"),
        // The log writes no text for an input trigger (it is the user_input record before).
        .turnStart(turn: 1, trigger: .input("")),
        .turnStart(turn: 2, trigger: .backgroundResults),
        .turnEnd(turn: 1, outcome: .completed(text: "done")),
        .turnEnd(turn: 2, outcome: .cancelled),
        .turnEnd(turn: 3, outcome: .failed(error: "model failed")),
        .textDelta(agent: .main, text: "Hel"),
        .assistantMessage(agent: AgentRef(name: "explore", taskID: TaskID(3)), text: "Hello"),
        .toolStart(agent: .main, callID: "call_1", tool: "grep", arguments: ["pattern": "TODO", "paths": ["a", "b"], "limit": 3]),
        .toolProgress(agent: AgentRef(name: "grep", taskID: TaskID(4)), callID: "call_2", line: "a.swift:3: TODO"),
        .toolProgress(agent: .main, callID: "call_3", line: "line 9", lines: 7),
        .toolEnd(agent: .main, callID: "call_1", tool: "grep", output: ToolOutput("3 matches")),
        .toolEnd(agent: .main, callID: "call_9", tool: "nope", output: .error("Unknown tool")),
        .task(.started(.logged(1, "grep", mode: .foreground, description: "find", status: .pending, age: .zero))),
        .task(.updated(.logged(1, "grep", mode: .foreground, description: "find", status: .running(step: 2, activity: "grep"), cancelRequested: .user, age: .seconds(0.25)))),
        .task(.updated(.logged(2, "list", status: .running(step: 1, activity: nil), age: .seconds(0.5)))),
        .task(.finished(task)),
        .task(.finished(.logged(5, "a", status: .completed(summary: "ok"), age: .seconds(2)))),
        .task(.finished(.logged(6, "b", status: .failed(error: "boom"), age: .seconds(2)))),
        .task(.finished(.logged(7, "c", spawner: .task(TaskID(5)), status: .cancelled(by: .parentEnded(TaskID(5))), age: .seconds(2)))),
        .task(.resultsWaiting(.topLevel, count: 2)),
        .task(.updated(.logged(2, "list", status: .paused(step: 3, activity: "thinking"), age: .seconds(0.5)))),
        .task(.message(AgentMessageEvent(AgentMessage(number: 1, taskID: TaskID(3), taskName: "explore", sender: .person, text: "skip .build"), .queued(ahead: 0)))),
        .task(.message(AgentMessageEvent(AgentMessage(number: 2, taskID: TaskID(4), taskName: "grep", sender: .agent(.task(TaskID(3))), text: "stop at 10"), .read))),
        .task(.message(AgentMessageEvent(AgentMessage(number: 3, taskID: TaskID(3), taskName: "explore", sender: .agent(.topLevel), text: "hi"), .dropped(status: "completed")))),
        .task(.resultsWaiting(.task(TaskID(3)), count: 0)),
        .modelUsage(agent: .main, usage: Usage(inputTokens: 100, outputTokens: 20)),
        .warning("careful"),
        .conversation(ConversationRecord(agent: AgentRef(name: "explore", taskID: TaskID(3)), from: 0, messages: [
            .system("You are explore."), .user("map the tree"),
            .assistant(text: "Listing.", toolCalls: [ToolCall(id: "call_1", name: "list_files", arguments: ["path": "."])]),
            .tool(callID: "call_1", name: "list_files", content: "a.swift"), .assistant(text: "", toolCalls: []),
        ])),
        .conversation(ConversationRecord(agent: .main, from: 4, messages: [.user("hi")])),
        .reply(.usageError("Unknown command /taks. Did you mean /tasks?")),
        .toolProcess(ToolProcessRecord(sessionID: "0badcafe", ToolProcessEvent(
            kind: .started, processGroup: 4242, startTime: 987_654, marker: "17.99-3", callID: "call_1", taskID: nil
        ))),
        .result(RunResult(
            status: .success, text: "The answer", exitCode: 0, durationSeconds: 3.5, usage: Usage(inputTokens: 1, outputTokens: 2),
            turns: 2, background: .timedOut, cancelledTaskIDs: [TaskID(3)], undeliveredTaskIDs: [TaskID(3)], tasks: [task]
        )),
        .result(RunResult(status: .error, text: "", error: "failed", exitCode: 1, durationSeconds: 0, usage: Usage(), turns: 1, background: .none, tasks: [], approvalsRefused: [ApprovalRefusal(taskID: TaskID(2), callID: "call_9", tool: "shell", subject: "shell: make test")])),
        .sessionEnd(SessionEnd(sessionID: "0badcafe", ending: .interrupted, exitCode: 130, tasks: [task])),
        .sessionEnd(SessionEnd(sessionID: "0badcafe", ending: .quit, exitCode: nil, tasks: [])),
        .approvalRequested(ApprovalRequest(
            id: 1, agent: AgentRef(name: "explore", taskID: TaskID(1)), callID: "call_3", tool: "shell",
            subject: .shell(command: "make test \u{1B}[2J", directory: "/work")
        )),
        .approvalRequested(ApprovalRequest(
            id: 2, agent: .main, callID: "call_4", tool: "edit_file",
            subject: .edit(path: "README.md", diff: "--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-a\n+b\n", summary: "(+1 −1)")
        )),
        .approvalAnswered(id: 1, agent: AgentRef(name: "explore", taskID: TaskID(1)), answer: .deny(reason: "not now")),
        .approvalAnswered(id: 2, agent: .main, answer: .deny(reason: nil)),
        .approvalAnswered(id: 3, agent: .main, answer: .once),
        .approvalAnswered(id: 4, agent: .main, answer: .always),
    ]

    @Test("the events above cover every record type")
    func everyType() {
        let types: Set<String> = [
            "session_start", "user_input", "slash_command", "turn_start", "turn_end", "text_delta", "assistant_message",
            "tool_start", "tool_progress", "tool_end", "task_started", "task_updated", "task_finished", "results_waiting",
            "message_queued", "message_read", "message_dropped", "conversation",
            "model_usage", "warning", "command_reply", "tool_process", "result", "session_end",
            "approval_requested", "approval_answered",
        ]
        #expect(Set(Self.everyEvent.map(\.type)) == types)
    }

    @Test("every session event survives a round trip through its JSON line")
    func roundTrip() throws {
        for (index, event) in Self.everyEvent.enumerated() {
            let record = SessionRecord(sequence: index + 1, time: Self.time, event: event)
            let line = record.jsonLine
            #expect(!line.contains("\n"), "one line per record: \(line)")
            let parsed = try SessionRecord.parse(line)
            #expect(parsed.event == event, "\(event.type) changed in a round trip: \(line)")
            #expect(parsed.sequence == index + 1)
            #expect(parsed.jsonLine == line)
        }
    }

    @Test("the standard Codable encoding reads back the same as the JSON line")
    func codableAgreesWithLine() throws {
        let encoder = JSONEncoder()
        for event in Self.everyEvent {
            let record = SessionRecord(sequence: 7, time: Self.time, event: event, sessionID: "0badcafe")
            let decoded = try JSONDecoder().decode(SessionRecord.self, from: encoder.encode(record))
            #expect(decoded == record)
            #expect(decoded.jsonLine == record.jsonLine)
            #expect(try JSONDecoder().decode(SessionEvent.self, from: encoder.encode(event)) == event)
        }
    }

    @Test("a line starts with type, seq, time and session_id, and ids are explicit nulls for the main agent")
    func lineShape() throws {
        let record = SessionRecord(
            sequence: 12, time: Self.time, event: .toolStart(agent: .main, callID: "call_1", tool: "grep", arguments: [:]), sessionID: "0badcafe"
        )
        #expect(record.jsonLine.hasPrefix(#"{"type":"tool_start","seq":12,"time":"2025-11-21T16:00:00.125Z","session_id":"0badcafe","#))
        let object = try JSONValue.parse(record.jsonLine)
        #expect(object["task_id"] == .null)
        #expect(object["agent"] == "main")
        #expect(object["call_id"] == "call_1")
    }

    @Test("the fields of a record are the ones the log has always had")
    func fields() throws {
        func object(_ event: SessionEvent) throws -> JSONValue { try JSONValue.parse(SessionRecord(sequence: 1, time: Self.time, event: event).jsonLine) }
        let failed = try object(.toolEnd(agent: .main, callID: "c", tool: "t", output: .error("bad")))
        #expect(failed["output"] == "bad")
        #expect(failed["is_error"] == true)
        #expect(try object(.turnStart(turn: 1, trigger: .input("hi")))["trigger"] == "input")
        #expect(try object(.turnStart(turn: 2, trigger: .backgroundResults))["trigger"] == "background_results")
        #expect(try object(.toolProgress(agent: .main, callID: "c", line: "l"))["lines"] == nil, "lines only when more than one")
        #expect(try object(.toolProgress(agent: .main, callID: "c", line: "l", lines: 3))["lines"] == 3)
        let waiting = try object(.task(.resultsWaiting(.topLevel, count: 1)))
        #expect(waiting["spawner_id"] == .null)
        #expect(waiting["count"] == 1)
        #expect(try object(.warning("w"))["message"] == "w")
        let reply = try object(.reply(.usageError("n")))
        #expect(reply["type"] == "command_reply")
        #expect(reply["reply"] != nil)
    }

    @Test("a task snapshot is written with its status details, spawner and pending cancel")
    func taskObject() throws {
        let line = SessionRecord(sequence: 1, time: Self.time, event: .task(.updated(.sample))).jsonLine
        let task = try #require(try JSONValue.parse(line)["task"])
        #expect(task["id"] == 4)
        #expect(task["name"] == "grep")
        #expect(task["kind"] == "agent")
        #expect(task["mode"] == "background")
        #expect(task["status"] == "running")
        #expect(task["step"] == 2)
        #expect(task["activity"] == "grep")
        #expect(task["spawner_id"] == 2)
        #expect(task["cancel_requested"] == "user")
        #expect(task["started_at"] == "2025-11-21T16:00:00.125Z")
        #expect(task["duration_seconds"]?.doubleValue == 1.5)
        #expect(task["summary"] == nil && task["error"] == nil && task["cancelled_by"] == nil)
        // Read back on a timeline of its own, without the trail the log does not keep.
        guard case .task(.updated(let read)) = try SessionRecord.parse(line).event else { Issue.record("not a task update"); return }
        #expect(read.status == .running(step: 2, activity: "grep"))
        #expect(read.cancelRequested == .user)
        #expect(read.spawner == .task(TaskID(2)))
        #expect(read.startDate == Self.time)
        #expect(read.age == .milliseconds(1500))
        #expect(read.startedAt == .zero && read.endedAt == nil && read.trail.isEmpty)
        #expect(!read.isTerminal)
        // A request to cancel is not written once the task has ended.
        let ended = TaskSnapshot.logged(8, "x", status: .completed(summary: "s"), cancelRequested: .user)
        #expect(!SessionRecord(sequence: 1, time: Self.time, event: .task(.finished(ended))).jsonLine.contains("cancel_requested"))
    }

    @Test("Docs/session-log.md documents every record type with an example line that reads back and writes again unchanged")
    func documentedExamples() throws {
        let doc = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Docs/session-log.md")
        let text = try String(contentsOf: doc, encoding: .utf8)
        let examples = text.split(separator: "\n").filter { $0.hasPrefix(#"{"type":""#) }
        let headings = text.split(separator: "\n").filter { $0.hasPrefix("### ") }
        var documented = Set<String>()
        for line in examples {
            let record = try SessionRecord.parse(line)
            #expect(record.jsonLine == String(line), "the example of \(record.event.type) is not what the log writes")
            #expect(headings.contains { $0.contains("`\(record.event.type)`") }, "\(record.event.type) has no section")
            documented.insert(record.event.type)
        }
        #expect(documented == Set(Self.everyEvent.map(\.type)), "every type has an example")
    }

    @Test("times print to the nearest millisecond and read back to the same text")
    func timePrecision() throws {
        for offset in [0.0, 0.0004, 0.0005, 0.2549, 0.9996, 0.254_999_999] {
            let record = SessionRecord(sequence: 1, time: Date(timeIntervalSince1970: 1_763_740_800 + offset), event: .warning("m"))
            let reparsed = try SessionRecord.parse(record.jsonLine)
            #expect(reparsed.jsonLine == record.jsonLine)
        }
        let rounded = SessionRecord(sequence: 1, time: Date(timeIntervalSince1970: 1_763_740_800.9996), event: .warning("m"))
        #expect(rounded.jsonLine.contains(#""time":"2025-11-21T16:00:01.000Z""#))
        let before1970 = SessionRecord(sequence: 1, time: Date(timeIntervalSince1970: -0.25), event: .warning("m"))
        #expect(before1970.jsonLine.contains(#""time":"1969-12-31T23:59:59.750Z""#))
    }

    @Test("an unknown type, status, trigger or a bad time is a clear decoding error")
    func badLines() {
        #expect(throws: DecodingError.self) { try SessionRecord.parse(#"{"type":"nope","seq":1,"time":"2025-11-21T16:00:00.125Z"}"#) }
        #expect(throws: DecodingError.self) { try SessionRecord.parse(#"{"type":"warning","seq":1,"time":"yesterday","message":"m"}"#) }
        #expect(throws: DecodingError.self) { try SessionRecord.parse(#"{"type":"turn_start","seq":1,"time":"2025-11-21T16:00:00.125Z","trigger":"whim","turn":1}"#) }
        #expect(throws: DecodingError.self) {
            try SessionRecord.parse(#"{"type":"task_started","seq":1,"time":"2025-11-21T16:00:00.125Z","task":{"description":"d","duration_seconds":0,"id":1,"kind":"agent","mode":"background","name":"x","spawner_id":null,"started_at":"2025-11-21T16:00:00.125Z","status":"asleep"}}"#)
        }
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

    /// A snapshot as the log reads it back: on a timeline of its own from zero, without a trail.
    static func logged(
        _ id: Int, _ name: String, kind: TaskKind = .agent, mode: TaskMode = .background, spawner: Spawner = .topLevel,
        description: String = "d", status: TaskStatus, cancelRequested: CancellationSource? = nil,
        startDate: Date = SessionLogRecordTests.time, age: Duration = .seconds(1)
    ) -> TaskSnapshot {
        TaskSnapshot(
            id: TaskID(id), name: name, kind: kind, description: description, spawner: spawner, mode: mode, status: status,
            cancelRequested: cancelRequested, startedAt: .zero, endedAt: status.isTerminal ? age : nil, startDate: startDate,
            age: age, trail: []
        )
    }
}
