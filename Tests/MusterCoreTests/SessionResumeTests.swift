import Foundation
@testable import MusterCore
import MusterPresentation
import Testing

/// Logs for the tests: records of one session, as the recorder writes them.
private enum ResumeFixture {
    static let workspace = "/work/project"

    static func start(_ id: String, workspace: String = workspace, schema: Int = SessionRecord.schemaVersion, pid: Int32 = 1) -> SessionEvent {
        .sessionStart(SessionStart(schemaVersion: schema, sessionID: id, pid: pid, logFile: nil, metadata: SessionMetadata(mode: .interactive, workspace: workspace)))
    }

    static func lines(_ id: String, _ events: [SessionEvent]) -> [String] {
        events.enumerated().map { SessionRecord(sequence: $0.offset + 1, time: Date(timeIntervalSince1970: 1_800_000_000), event: $0.element, sessionID: id).jsonLine }
    }

    /// Snapshots of a real registry's task: running, and completed with `summary`.
    static func snapshots(name: String, summary: String = "r") async throws -> (running: TaskSnapshot, finished: TaskSnapshot) {
        let registry = TaskRegistry()
        let bus = registry.events.subscribe()
        let release = Gate()
        let id = try await registry.start(.init(name: name, description: "work of \(name)", mode: .background)) { _ in
            try await release.wait()
            return summary
        }
        let running = try #require(await registry.snapshot(of: id))
        release.open()
        let finished = try #require(await bus.tasks.readUntilFinished(id))
        return (running, finished)
    }

    /// A sessions directory under a fresh `XDG_STATE_HOME`, and the environment that points there.
    static func sessionsDirectory() throws -> (URL, [String: String]) {
        let state = try HeadlessFixtures.temporaryDirectory()
        let environment = ["XDG_STATE_HOME": state.path]
        let directory = SessionLogLocation.sessionsDirectory(environment: environment)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return (directory, environment)
    }

    @discardableResult
    static func write(_ lines: [String], id: String, stamp: String = "20261205T080000.000Z", in directory: URL, tail: String = "") throws -> URL {
        let url = directory.appendingPathComponent("\(stamp)-\(id).jsonl")
        try Data((lines.map { $0 + "\n" }.joined() + tail).utf8).write(to: url)
        return url
    }

    static func load(_ target: SessionResume.Target, _ environment: [String: String], workspace: String = workspace) -> Result<SessionResume.Loaded, SessionResume.Failure> {
        Result { () throws(SessionResume.Failure) in
            try SessionResume.load(target, location: .sessionsDirectory, workspace: workspace, environment: environment, isProcessRunning: { _ in false })
        }
    }
}

@Suite("Resuming a session: bad input")
struct SessionResumeBadInputTests {
    @Test("an unknown id is refused naming the id and where it looked; an id cannot reach outside the directory")
    func unknown() throws {
        let (directory, environment) = try ResumeFixture.sessionsDirectory()
        try ResumeFixture.write(ResumeFixture.lines("aaaa0001", [ResumeFixture.start("aaaa0001")]), id: "aaaa0001", in: directory)
        for id in ["ffff0000", "../../etc/passwd", "aaaa000", ""] {
            guard case .failure(let failure) = ResumeFixture.load(.id(id), environment) else { Issue.record("\(id) was found"); continue }
            #expect(failure == .unknownSession(id, searched: directory.path))
            #expect(failure.description.contains(directory.path) && failure.description.contains("muster --resume with no id lists"))
        }
    }

    @Test("a file that is no session log (no session_start) is refused as such, never a trap")
    func corrupt() throws {
        let (directory, environment) = try ResumeFixture.sessionsDirectory()
        let url = try ResumeFixture.write(["not json at all", "\u{0}\u{1}{"], id: "bbbb0002", in: directory)
        guard case .failure(let failure) = ResumeFixture.load(.id("bbbb0002"), environment) else { Issue.record("loaded"); return }
        #expect(failure == .notASessionLog(url))
        #expect(failure.description.contains("is not a Muster session log"))
    }

    @Test("a torn last line is skipped with a notice; what precedes it loads")
    func tornLastLine() throws {
        let (directory, environment) = try ResumeFixture.sessionsDirectory()
        let conversation = ConversationRecord(agent: .main, from: 0, messages: [.system("s"), .user("hello"), .assistant(text: "hi", toolCalls: [])])
        let lines = ResumeFixture.lines("cccc0003", [ResumeFixture.start("cccc0003"), .conversation(conversation)])
        let torn = String(lines[1].prefix(lines[1].count / 2))
        try ResumeFixture.write(lines, id: "cccc0003", in: directory, tail: torn)
        let loaded = try ResumeFixture.load(.id("cccc0003"), environment).get()
        #expect(loaded.restore.tornLastLine && loaded.restore.skippedLines == 1)
        #expect(loaded.restore.mainConversation == conversation.messages)
        var summary = ResumedSession(sessionID: "cccc0003")
        summary.skippedLines = 1
        summary.tornLastLine = true
        #expect(ResumeText.notices(for: summary).contains("The log's last line was torn (the session was killed while writing it) and was skipped."))
    }

    @Test("a session of another workspace is refused, naming --workspace with its folder")
    func otherWorkspace() throws {
        let (directory, environment) = try ResumeFixture.sessionsDirectory()
        try ResumeFixture.write(ResumeFixture.lines("dddd0004", [ResumeFixture.start("dddd0004", workspace: "/elsewhere")]), id: "dddd0004", in: directory)
        guard case .failure(let failure) = ResumeFixture.load(.id("dddd0004"), environment) else { Issue.record("loaded"); return }
        #expect(failure.description == "Session dddd0004 ran in /elsewhere, not in /work/project: resume it there, or with --workspace /elsewhere.")
        // --continue only looks at this workspace's sessions.
        guard case .failure(let none) = ResumeFixture.load(.latest, environment) else { Issue.record("continued"); return }
        #expect(none == .noSessionInWorkspace(ResumeFixture.workspace, searched: directory.path))
    }

    @Test("a newer schema says it cannot; a schema-1 log written before conversations were kept loads, and says what it lacks")
    func schemas() async throws {
        let (directory, environment) = try ResumeFixture.sessionsDirectory()
        try ResumeFixture.write(ResumeFixture.lines("eeee0005", [ResumeFixture.start("eeee0005", schema: 99)]), id: "eeee0005", in: directory)
        guard case .failure(let failure) = ResumeFixture.load(.id("eeee0005"), environment) else { Issue.record("loaded"); return }
        #expect(failure == .newerSchema("eeee0005", version: 99))
        #expect(failure.description.contains("newer Muster (log schema 99; this one reads 1)"))
        // The oldest logs: tasks, no conversation records.
        let tree = try await ResumeFixture.snapshots(name: "tree")
        try ResumeFixture.write(ResumeFixture.lines("eeee0006", [ResumeFixture.start("eeee0006"), .task(.started(tree.running))]), id: "eeee0006", stamp: "20261205T090000.000Z", in: directory)
        let loaded = try ResumeFixture.load(.id("eeee0006"), environment).get()
        #expect(loaded.restore.conversationRecords == 0 && loaded.restore.skippedLines == 0)
        #expect(loaded.restore.unfinished.map(\.name) == ["tree"])
        #expect(loaded.restore.unfinished.first?.conversation == [])
        let resumed = await ResumedSession.apply(loaded, to: Session(runtime: makeRuntime(model: ClosureModel { _, _, _ in [.end] }, tools: [])))
        #expect(resumed.lacksConversations)
        #expect(ResumeText.notices(for: resumed).contains("The log holds no conversations (written by an earlier Muster): agents start again from their prompts."))
    }

    @Test("a session whose process still runs is refused: it cannot be resumed twice at once")
    func stillRunning() throws {
        let (directory, environment) = try ResumeFixture.sessionsDirectory()
        try ResumeFixture.write(ResumeFixture.lines("ffff0007", [ResumeFixture.start("ffff0007", pid: 4242)]), id: "ffff0007", in: directory)
        let result = Result { () throws(SessionResume.Failure) in
            try SessionResume.load(.id("ffff0007"), location: .sessionsDirectory, workspace: ResumeFixture.workspace, environment: environment, isProcessRunning: { $0 == 4242 })
        }
        guard case .failure(let failure) = result else { Issue.record("loaded"); return }
        #expect(failure == .stillRunning("ffff0007", pid: 4242))
    }

    @Test("--continue takes the newest session of this workspace; --resume lists this workspace's sessions, newest first, with first prompt and task counts")
    func latestAndListing() async throws {
        let (directory, environment) = try ResumeFixture.sessionsDirectory()
        let tree = try await ResumeFixture.snapshots(name: "tree")
        try ResumeFixture.write(ResumeFixture.lines("a0000001", [
            ResumeFixture.start("a0000001"), .userInput(text: "first\u{1B}[31m one"), .task(.started(tree.running)),
        ]), id: "a0000001", stamp: "20261205T080000.000Z", in: directory)
        try ResumeFixture.write(ResumeFixture.lines("a0000002", [ResumeFixture.start("a0000002"), .userInput(text: "second")]), id: "a0000002", stamp: "20261205T090000.000Z", in: directory)
        try ResumeFixture.write(ResumeFixture.lines("a0000003", [ResumeFixture.start("a0000003", workspace: "/other")]), id: "a0000003", stamp: "20261205T100000.000Z", in: directory)
        #expect(try ResumeFixture.load(.latest, environment).get().sessionID == "a0000002")
        let sessions = SessionResume.list(location: .sessionsDirectory, workspace: ResumeFixture.workspace, environment: environment)
        #expect(sessions.map(\.sessionID) == ["a0000002", "a0000001"])
        #expect(sessions.map(\.firstPrompt) == ["second", "first\u{1B}[31m one"])
        #expect(sessions.map(\.tasks) == [0, 1])
        let listing = ResumeText.listing(sessions, workspace: ResumeFixture.workspace)
        #expect(listing.count == 4)
        #expect(listing[3].hasPrefix("a0000001  ") && listing[3].contains("1 (1 unfinished)") && listing[3].contains("first^[[31m one"))
        #expect(!listing.joined().contains("\u{1B}"), "escape bytes from a log never reach the terminal")
    }
}

@Suite("Resuming a session: what reaches the terminal")
struct ResumeTextTests {
    @Test("escape bytes and bidirectional controls from a log never reach the terminal: restored conversation, notices, exit note")
    func inert() {
        let hostile = "\u{1B}]0;owned\u{07}\u{1B}[2J\u{202E}evil"
        let call = ToolCall(id: "c", name: "shell\u{1B}[31m", arguments: [:])
        let lines = ResumeText.transcript(of: [
            .system(hostile), .user(hostile), .assistant(text: hostile, toolCalls: [call]),
            .tool(callID: "c", name: "shell", content: hostile), .user("<background-result task=\"#1\u{1B}[31m\" name=\"x\">"),
        ])
        #expect(lines.count >= 4)
        var resumed = ResumedSession(sessionID: "ab\u{1B}[31m")
        resumed.agents = [.init(id: TaskID(1), previousID: TaskID(2), name: hostile)]
        let notices = ResumeText.notices(for: resumed)
        #expect(notices.contains { $0.contains("#1 ^[]0;owned") && $0.contains("(was #2)") })
        let note = ExitSummary.sessionNote(sessionID: "ab\u{1B}[31m", logFile: URL(fileURLWithPath: "/tmp/\u{1B}[2J.jsonl"))
        for text in lines.map(\.text) + notices + [note] {
            #expect(!text.unicodeScalars.contains { $0.value < 0x20 || $0 == "\u{7F}" || $0 == "\u{202E}" }, "\(text.debugDescription)")
        }
        #expect(ExitSummary.sessionNote(sessionID: "3f2a1b0c", logFile: nil) == "Session 3f2a1b0c · log: not written")
    }
}

@Suite("Resuming a session: results and agents")
struct SessionResumeDeliveryTests {
    /// A recorded session in `directory`: `go` launches the named background agents; each calls
    /// `block` (held by `latch`) unless its conversation says a call was interrupted, then answers.
    final class Recorded: Sendable {
        let session: Session
        let recorder: SessionRecorder
        let model: ClosureModel
        let mainRequests = Locked<[[ChatMessage]]>([])

        init(log: URL, latch: Gate, agents: [String], continues: Bool) {
            let requests = mainRequests
            let model = ClosureModel { agent, turn, request in
                if agent == "main" {
                    requests.withLock { $0.append(request.messages) }
                    if request.latestUserMessage == "go", turn == 0 {
                        return agents.map { .call("agent", ["name": .string($0), "prompt": .string("work of \($0)"), "background": true]) } + [.end]
                    }
                    return [.textDelta("main answered"), .end]
                }
                let interrupted = request.messages.contains { if case .tool(_, _, let content) = $0 { content.contains("interrupted") } else { false } }
                if interrupted || turn > 0 { return [.textDelta("\(agent) result"), .end] }
                return [.call("block", [:]), .end]
            }
            self.model = model
            let runtime = makeRuntime(model: model, tools: [BlockTool(latch: latch, completions: Tally())])
            session = Session(runtime: runtime, configuration: .init(continueOnBackgroundResults: continues, settleWindow: .zero))
            recorder = SessionRecorder.start(
                session: session, log: .file(log), metadata: SessionMetadata(mode: .interactive, workspace: ResumeFixture.workspace),
                environment: [:]
            )
        }

        /// How many times the main agent's last request held `id`'s result.
        func resultsSeen(_ id: TaskID) -> Int {
            let last = mainRequests.withLock { $0.last } ?? []
            return last.filter { SessionLogRestore.deliveredResults(in: [$0]).contains(id) }.count
        }
    }

    static func load(_ url: URL) throws -> SessionResume.Loaded {
        try SessionResume.load(.latest, location: .file(url), workspace: ResumeFixture.workspace, environment: [:])
    }

    /// The log without its end record, as a SIGKILL would leave it: taken once the session has
    /// shut down and every event is in the log (so no record is still on its way), before the
    /// recorder writes `session_end`. Agents still running then end `cancelled` at shutdown,
    /// which a restart treats like a kill.
    static func killedCopy(of recorded: Recorded, to url: URL) async throws -> URL {
        await recorded.recorder.drain()
        await recorded.recorder.flushLog()
        let log = try #require(recorded.recorder.logFile)
        try FileManager.default.copyItem(at: log, to: url)
        return url
    }

    @Test("a result produced but never delivered is delivered after the resume exactly once, and never again across a further resume")
    func exactlyOnce() async throws {
        let directory = try HeadlessFixtures.temporaryDirectory()
        let open = Gate()
        open.open()
        // A: the agent finishes, its result waits in the main agent's inbox (no turn takes it): killed.
        let a = Recorded(log: directory.appendingPathComponent("a.jsonl"), latch: open, agents: ["alpha"], continues: false)
        let busA = a.session.events.subscribe()
        await a.session.start()
        await a.session.send(.prompt("go"))
        _ = await busA.tasks.readUntilFinished(TaskID(1))
        await a.session.waitUntilIdle()
        let killedA = try await Self.killedCopy(of: a, to: directory.appendingPathComponent("a-killed.jsonl"))
        await a.recorder.finish(ending: .quit)
        let loadedA = try Self.load(killedA)
        #expect(loadedA.restore.undelivered == [TaskID(1)])

        // B resumes A: the result reaches the main agent once, by a turn of its own.
        let b = Recorded(log: directory.appendingPathComponent("b.jsonl"), latch: open, agents: [], continues: true)
        let resumed = await ResumedSession.apply(loadedA, to: b.session)
        #expect(resumed.undelivered == 1 && resumed.finished == 1 && resumed.agents.isEmpty)
        #expect(await b.session.registry.snapshot(of: TaskID(1))?.status == .completed(summary: "alpha result"))
        let busB = b.session.events.subscribe()
        await b.session.start()
        _ = await busB.read { if case .turnEnd = $0 { true } else { false } }
        #expect(b.resultsSeen(TaskID(1)) == 1)
        #expect(await b.session.registry.pendingResultCount(for: .topLevel) == 0)
        let killedB = try await Self.killedCopy(of: b, to: directory.appendingPathComponent("b-killed.jsonl"))
        await b.recorder.finish(ending: .quit)

        // C resumes B (B's log alone): the result is known delivered; nothing waits, and the
        // main conversation holds it once.
        let loadedB = try Self.load(killedB)
        #expect(loadedB.restore.undelivered.isEmpty)
        #expect(loadedB.restore.finished.map(\.id) == [TaskID(1)])
        let c = Recorded(log: directory.appendingPathComponent("c.jsonl"), latch: open, agents: [], continues: true)
        let again = await ResumedSession.apply(loadedB, to: c.session)
        #expect(again.undelivered == 0 && again.finished == 1)
        #expect(await c.session.registry.pendingResultCount(for: .topLevel) == 0)
        #expect(loadedB.restore.mainConversation.filter { SessionLogRestore.deliveredResults(in: [$0]).contains(TaskID(1)) }.count == 1)
        await c.recorder.finish(ending: .quit)
    }

    @Test("a result taken from the inbox but killed before the spawner's conversation was written is delivered again (it never reached the model's context)")
    func takenButNotWritten() async throws {
        let id = "abab0001"
        let alpha = try await ResumeFixture.snapshots(name: "alpha")
        let lines = ResumeFixture.lines(id, [
            ResumeFixture.start(id), .conversation(ConversationRecord(agent: .main, from: 0, messages: [.system("s"), .user("go")])),
            .task(.started(alpha.running)), .task(.finished(alpha.finished)), .task(.resultsWaiting(.topLevel, count: 0)),
        ])
        let restore = SessionLogRestore(lines: lines)
        #expect(restore.finished.map(\.id) == [alpha.finished.id])
        #expect(restore.undelivered == [alpha.finished.id])
        // Once the conversation holds it, it is delivered.
        let result = TaskResult(id: alpha.finished.id, name: "alpha", description: "d", status: .completed(summary: "r"), duration: .seconds(1), trail: [])
        let delivered = lines + ResumeFixture.lines(id, [.conversation(ConversationRecord(agent: .main, from: 2, messages: [
            .user(BackgroundResultMessage.render(result)),
        ]))])
        #expect(SessionLogRestore(lines: delivered).undelivered.isEmpty)
        // A wait_task answer delivers it too; another tool's output that quotes the framing does not.
        let waited = lines + ResumeFixture.lines(id, [.conversation(ConversationRecord(agent: .main, from: 2, messages: [
            .tool(callID: "c1", name: "read_file", content: BackgroundResultMessage.render(result)),
        ]))])
        #expect(SessionLogRestore(lines: waited).undelivered == [alpha.finished.id])
        let answered = lines + ResumeFixture.lines(id, [.conversation(ConversationRecord(agent: .main, from: 2, messages: [
            .tool(callID: "c1", name: "wait_task", content: BackgroundResultMessage.render(result)),
        ]))])
        #expect(SessionLogRestore(lines: answered).undelivered.isEmpty)
    }

    @Test("three interrupted background agents come back paused under their ids with the notice; resumed, each completes and its result reaches the main agent once")
    func pausedAgents() async throws {
        let directory = try HeadlessFixtures.temporaryDirectory()
        let held = Gate()
        let a = Recorded(log: directory.appendingPathComponent("a.jsonl"), latch: held, agents: ["tree", "todos", "largest"], continues: false)
        let busA = a.session.events.subscribe()
        await a.session.start()
        await a.session.send(.prompt("go"))
        // Every agent is inside its held tool call.
        var inside = Set<String>()
        _ = await busA.read { event in
            if case .toolStart(let agent, _, "block", _) = event { inside.insert(agent.name) }
            return inside.count == 3
        }
        await a.session.waitUntilIdle()
        let killed = try await Self.killedCopy(of: a, to: directory.appendingPathComponent("killed.jsonl"))
        await a.recorder.finish(ending: .quit)

        let b = Recorded(log: directory.appendingPathComponent("b.jsonl"), latch: held, agents: [], continues: true)
        let resumed = await ResumedSession.apply(try Self.load(killed), to: b.session)
        #expect(resumed.agents.map(\.id) == [TaskID(1), TaskID(2), TaskID(3)])
        #expect(ResumeText.notices(for: resumed).contains(
            "3 interrupted background agents restored as paused: #1 tree, #2 todos, #3 largest — /tasks resume all to continue"
        ))
        let registry = b.session.registry
        for id in 1...3 { #expect(await registry.snapshot(of: TaskID(id))?.isPaused == true) }
        // A later task does not take a restored id.
        let later = try await registry.start(.init(name: "later", description: "x", mode: .foreground)) { _ in "" }
        #expect(later == TaskID(4))
        #expect(b.model.calls.count("tree") == 0, "no model call while paused")
        let busB = b.session.events.subscribe()
        await b.session.start()
        #expect(await registry.resumeAll().resumed.count == 3)
        let finished = await busB.tasks.readUntilFinished([TaskID(1), TaskID(2), TaskID(3)])
        for (id, name) in [(1, "tree"), (2, "todos"), (3, "largest")] {
            #expect(finished[TaskID(id)]?.status == .completed(summary: "\(name) result"))
        }
        // Results arrive together or in turns: read turns until the main agent has seen all three.
        while !(1...3).allSatisfy({ b.resultsSeen(TaskID($0)) >= 1 }) {
            _ = await busB.read { if case .turnEnd = $0 { true } else { false } }
        }
        for id in 1...3 { #expect(b.resultsSeen(TaskID(id)) == 1, "result of #\(id) seen once") }
        held.open()
        await b.recorder.finish(ending: .quit)
    }
}
