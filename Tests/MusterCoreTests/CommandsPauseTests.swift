@testable import MusterCore
import MusterPresentation
import Testing

@Suite("Pause, resume and send commands")
struct CommandsPauseTests {
    private let parser = SlashCommandParser()

    private func task(_ id: Int, status: TaskStatus) -> TaskSnapshot {
        TaskSnapshot(
            id: TaskID(id), name: "a\(id)", kind: .agent, description: "", spawner: .topLevel, mode: .background,
            status: status, cancelRequested: nil, startedAt: .zero, endedAt: status.isTerminal ? .zero : nil,
            startDate: .distantPast, age: .zero, trail: []
        )
    }

    @Test("send takes the rest of the line as typed; pause and resume take an id or all; anything else gets its usage line")
    func parsing() {
        #expect(parser.parse("/tasks send #3 look at  \"Tests\" too ") == .success(.sendMessage(TaskID(3), "look at  \"Tests\" too")))
        #expect(parser.parse("  /TASKS Send 3 hi") == .success(.sendMessage(TaskID(3), "hi")))
        #expect(parser.parse("/tasks pause 2") == .success(.pauseTask(TaskID(2))))
        #expect(parser.parse("/tasks resume #2") == .success(.resumeTask(TaskID(2))))
        #expect(parser.parse("/tasks pause all") == .success(.pauseAll))
        #expect(parser.parse("/tasks resume ALL") == .success(.resumeAll))
        #expect(parser.parse("/tasks send 3") == .failure(SlashCommandError("Usage: /tasks send <id> <text>")))
        #expect(parser.parse("/tasks send x hi") == .failure(SlashCommandError("Usage: /tasks send <id> <text>")))
        #expect(parser.parse("/tasks pause") == .failure(SlashCommandError("Usage: /tasks pause <id>|all")))
        #expect(parser.parse("/tasks resume 1 2") == .failure(SlashCommandError("Usage: /tasks resume <id>|all")))
    }

    @Test("a paused agent leaves the count and is named in the pill: · 1 paused")
    func pill() {
        var pill = PillState(cap: 10)
        pill.apply(.started(task(1, status: .running(step: 1, activity: nil))))
        pill.apply(.started(task(2, status: .running(step: 1, activity: nil))))
        let changed = pill.apply(.updated(task(2, status: .paused(step: 1, activity: "thinking"))))
        #expect(changed)
        #expect(pill.label == "1/10 agents · 1 paused")
        pill.apply(.updated(task(1, status: .paused(step: 1, activity: nil))))
        #expect(pill.text == "○ 0/10 agents · 2 paused")
        #expect(!pill.isIdle)
        pill.apply(.finished(task(2, status: .cancelled(by: .user))))
        #expect(pill.label == "0/10 agents · 1 paused")
        #expect(PillState(cap: 10, snapshots: [task(1, status: .paused(step: 2, activity: nil))], pendingResults: 0).label == "0/10 agents · 1 paused")
    }

    @Test("paused shows in the table, in /tasks show and in the log's status word")
    func statusEverywhere() throws {
        let paused = task(3, status: .paused(step: 2, activity: "grep"))
        #expect(paused.statusWord == "paused")
        #expect(!paused.countsAgainstCap)
        #expect(TaskTable.lines(for: [paused]).contains { $0.text.contains("paused") && $0.text.contains("paused at step 2 · grep") })
        #expect(TaskTable.detail(of: paused, transcript: AgentTranscript(), all: false).map(\.text).contains("Paused at step 2 · grep; /tasks resume #3 goes on."))
        let line = SessionRecord(sequence: 1, time: SessionLogRecordTests.time, event: .task(.updated(paused))).jsonLine
        #expect(line.contains(#""status":"paused","step":2"#))
        #expect(try SessionRecord.parse(line).event == .task(.updated(.logged(3, "a3", description: "", status: .paused(step: 2, activity: "grep"), startDate: .distantPast, age: .zero))))
    }

    @Test("replies say what happened: the receipt, the refusal with the status, the cap message")
    func replies() {
        let name = CommandReply.TaskName(id: TaskID(3), name: "explore")
        func text(_ reply: CommandReply) -> [String] { ReplyFormatter.lines(for: reply).map(\.text) }
        #expect(text(.messageQueued(name, ahead: 1, paused: false)) == ["Message queued for #3 (explore), 1 ahead."])
        #expect(text(.messageQueued(name, ahead: 0, paused: true)) == ["Message queued for #3 (explore), 0 ahead. It is paused: it reads it when resumed."])
        #expect(text(.paused(name, already: false)) == ["Paused task #3 (explore). /tasks resume #3 goes on."])
        #expect(text(.resumeRefused(name, reason: TaskRegistry.StartRefusal.capReached(limit: 2).description))
            == ["Task #3 (explore) stays paused. Cannot start background agent: maximum concurrent background agents (2) reached. Stop an existing agent first."])
        #expect(text(.resumedAll([name], refused: [.init(id: TaskID(4), name: "grep")], reason: "Full."))
            == ["Resumed 1 agent: #3 explore.", "Still paused: #4 grep. Full."])
        #expect(text(.pausedAll([])) == ["No running agents to pause."])
        let read = AgentMessageEvent(AgentMessage(number: 1, taskID: TaskID(3), taskName: "explore", sender: .person, text: "hi"), .read)
        #expect(TranscriptFormatter.messageLine(for: read)?.text == "#3 explore read your message.")
    }
}
