import Foundation
@testable import MusterCore
import Testing

@Suite("Conversations in the session log")
struct ConversationLogTests {
    /// Runs a main agent that launches two background agents with tool calls, and returns every
    /// record the log would hold (as JSON lines) and the conversations as the agents last had them.
    static func recordedSession() async throws -> (lines: [String], main: [ChatMessage], workers: [String: [ChatMessage]]) {
        let lastSeen = Locked<[String: [ChatMessage]]>([:])
        let model = ClosureModel { agent, turn, request in
            lastSeen.withLock { $0[agent] = request.messages }
            switch (agent, turn) {
            case ("main", 0) where request.latestUserMessage == "go":
                return [.textDelta("Launching."), .call("agent", ["name": "alpha", "prompt": "a", "background": true]),
                        .call("agent", ["name": "beta", "prompt": "b", "background": true]), .end]
            case ("alpha", 0), ("beta", 0):
                return [.textDelta("Emitting."), .call("emit", ["tag": .string(agent), "count": 2]), .end]
            default:
                return [.textDelta("\(agent) done"), .end]
            }
        }
        let runtime = makeRuntime(model: model, tools: [EmitTool()])
        // One final turn takes both results once both agents have ended.
        let session = Session(runtime: runtime, configuration: .init(settleWindow: .zero, waitForAllBackgroundWork: true))
        await session.start()
        let bus = session.events.subscribe()
        await session.send(.prompt("go"))
        var events = await bus.collect { event in
            if case .turnEnd(2, _) = event { return true }
            return false
        }
        _ = await session.shutdown()
        events += await bus.collect { _ in false }
        let lines = events.enumerated().map { SessionRecord(sequence: $0.offset + 1, time: Date(timeIntervalSince1970: 0), event: $0.element).jsonLine }
        return (lines, lastSeen.withLock { $0["main"] ?? [] }, lastSeen.withLock { $0 })
    }

    @Test("every agent's conversation comes back from the log as the model last saw it, plus its last answer")
    func restoresWhole() async throws {
        let session = try await Self.recordedSession()
        var restorer = ConversationRestorer()
        for line in session.lines { restorer.apply(try SessionRecord.parse(line).event) }
        #expect(restorer.skipped == 0)
        let main = try #require(restorer.conversations[nil])
        #expect(Array(main.prefix(session.main.count)) == session.main)
        #expect(main.last == .assistant(text: "main done", toolCalls: []))
        let workers = restorer.conversations.filter { $0.key != nil }.values
        #expect(workers.count == 2)
        for conversation in workers {
            guard case .user(let prompt)? = conversation.dropFirst().first else { Issue.record("no prompt"); continue }
            let name = prompt == "a" ? "alpha" : "beta"
            let seen = try #require(session.workers[name])
            #expect(Array(conversation.prefix(seen.count)) == seen)
            #expect(conversation.last == .assistant(text: "\(name) done", toolCalls: []))
        }
    }

    @Test("a log cut at any record boundary, or torn inside its last line, restores a prefix of every conversation and never traps")
    func cutPoints() async throws {
        let session = try await Self.recordedSession()
        var whole = ConversationRestorer()
        for line in session.lines { whole.apply(try SessionRecord.parse(line).event) }
        for cut in 0...session.lines.count {
            for torn in [false, true] where !(torn && cut == session.lines.count) {
                var restorer = ConversationRestorer()
                for line in session.lines.prefix(cut) { restorer.apply(try SessionRecord.parse(line).event) }
                if torn {
                    // The next line, half written: it does not parse, and is skipped.
                    let half = String(session.lines[cut].prefix(session.lines[cut].count / 2))
                    if let event = try? SessionRecord.parse(half).event { restorer.apply(event) }
                }
                #expect(restorer.skipped == 0)
                for (agent, conversation) in restorer.conversations {
                    let full = try #require(whole.conversations[agent])
                    #expect(Array(full.prefix(conversation.count)) == conversation, "cut \(cut) of \(agent.map(\.description) ?? "main")")
                }
            }
        }
    }

    @Test("a record past a gap is skipped and counted, not applied")
    func gap() {
        var restorer = ConversationRestorer()
        restorer.apply(.conversation(ConversationRecord(agent: .main, from: 2, messages: [.user("late")])))
        #expect(restorer.skipped == 1)
        #expect(restorer.conversations.isEmpty)
        restorer.apply(.conversation(ConversationRecord(agent: .main, from: 0, messages: [.system("s"), .user("u")])))
        restorer.apply(.conversation(ConversationRecord(agent: .main, from: 1, messages: [.user("again")])))
        #expect(restorer.conversations[nil] == [.system("s"), .user("again")])
    }
}

@Suite("Restoring a background agent")
struct RestoredAgentTests {
    @Test("a restored agent comes back paused without a cap slot, calls no model until resumed, then goes on from its conversation")
    func restoredPaused() async throws {
        let seen = Locked<[ChatMessage]>([])
        let model = ClosureModel { _, _, request in
            seen.withLock { $0 = request.messages }
            return [.textDelta("finished after restart"), .end]
        }
        let runtime = makeRuntime(model: model, tools: [], maxBackgroundAgents: 1)
        let registry = runtime.registry
        let tasks = runtime.events.subscribe().tasks
        let parked = Gate()
        await registry.observeResumeWaits { _ in parked.open() }
        let call = ToolCall(id: "call_7", name: "shell", arguments: ["command": "make"])
        let cut: [ChatMessage] = [.system("You are tree."), .user("map it"), .assistant(text: "Running make.", toolCalls: [call])]
        // A full cap does not refuse a paused restore.
        let forever = Gate()
        let other = try await registry.start(.background("other")) { _ in try await forever.wait(); return "" }
        let id = try await runtime.restoreBackgroundAgent(name: "tree", prompt: "map it", conversation: cut)
        #expect(await registry.snapshot(of: id)?.isPaused == true)
        try await parked.wait()
        #expect(model.calls.count("tree") == 0)
        guard case .refused(.capReached(limit: 1), _) = await registry.resume(id) else { Issue.record("resumed past the cap"); return }
        await registry.cancel(other)
        _ = await tasks.readUntilFinished(other)
        guard case .resumed = await registry.resume(id) else { Issue.record("not resumed"); return }
        #expect(await tasks.readUntilFinished(id)?.status == .completed(summary: "finished after restart"))
        #expect(seen.withLock { $0 } == cut + [
            .tool(callID: "call_7", name: "shell", content: "Error: interrupted: Muster stopped before this call finished."),
            .user("[Muster was restarted and you were resumed: go on with your task from where you were.]"),
        ])
    }

    @Test("a conversation that ends with a question for the model is left as it is")
    func untouched() {
        let waiting: [ChatMessage] = [.system("s"), .user("go")]
        #expect(AgentRuntime.resumable(waiting) == waiting)
    }
}

@Suite("Reading a session log for a restart")
struct SessionLogRestoreTests {
    @Test("cut at every record boundary and torn inside the next line: never a trap, an agent is unfinished exactly until its end record, conversations are prefixes")
    func everyCut() async throws {
        let session = try await ConversationLogTests.recordedSession()
        let whole = SessionLogRestore(lines: session.lines)
        #expect(whole.unfinished.isEmpty)
        #expect(whole.finished.count == 2)
        #expect(whole.skippedLines == 0)
        var conversations = ConversationRestorer()
        for line in session.lines { conversations.apply(try SessionRecord.parse(line).event) }
        for cut in 0...session.lines.count {
            var lines = Array(session.lines.prefix(cut))
            if cut < session.lines.count { lines.append(String(session.lines[cut].prefix(session.lines[cut].count / 2))) }
            let restore = SessionLogRestore(lines: lines)
            #expect(restore.skippedLines == (cut < session.lines.count ? 1 : 0))
            #expect(restore.skippedRecords == 0)
            let ids = Set(restore.unfinished.map(\.id))
            #expect(ids.isDisjoint(with: restore.finished.map(\.id)))
            #expect(ids.count + restore.finished.count <= 2)
            #expect(Array(whole.mainConversation.prefix(restore.mainConversation.count)) == restore.mainConversation)
            for agent in restore.unfinished {
                #expect(agent.prompt == "a" || agent.prompt == "b")
                let full = conversations.conversations[agent.id] ?? []
                #expect(Array(full.prefix(agent.conversation.count)) == agent.conversation)
            }
        }
    }

    @Test("a log of random bytes and stray records is read without a trap, every bad line counted")
    func garbage() {
        let restore = SessionLogRestore(lines: ["{", "not json", #"{"type":"nope","seq":1,"time":"2025-11-21T16:00:00.125Z"}"#, "", "\u{0}\u{1}"])
        #expect(restore.skippedLines == 4)
        #expect(restore.unfinished.isEmpty && restore.mainConversation.isEmpty)
    }
}
