import Foundation
import MusterTestSupport
import Testing
@testable import MusterCore

/// `!COMMAND` lines: run by the session for the person, without the model.
@Suite("! commands")
struct ShellCommandLineTests {
    let fixture: WorkspaceFixture

    init() throws {
        fixture = try WorkspaceFixture()
    }

    private func session(model: ClosureModel = ClosureModel { _, _, _ in [.textDelta("ok"), .end] }) -> Session {
        let registry = TaskRegistry()
        let runtime = AgentRuntime(
            registry: registry, model: model, tools: [ShellTool(grace: .milliseconds(300))], workspace: fixture.root,
            backgroundShells: BackgroundShells(configuration: .init(outputDirectory: fixture.root.appendingPathComponent(".shells")))
        )
        return Session(runtime: runtime)
    }

    @Test("!COMMAND runs in the workspace without the model, shows its output, and the main agent sees it as the person's")
    func runsWithoutTheModel() async throws {
        let seen = Locked<[ChatMessage]>([])
        let model = ClosureModel { _, _, request in
            seen.withLock { $0 = request.messages }
            return [.textDelta("noted"), .end]
        }
        let session = session(model: model)
        await session.start()
        let events = session.events.subscribe()
        await session.send(.submit("!echo hello"))
        let first = await events.collect { if case .turnEnd = $0 { return true } else { return false } }
        #expect(first.contains(.userInput(text: "!echo hello")))
        #expect(first.contains { if case .toolProgress(.main, _, "hello", _) = $0 { true } else { false } })
        #expect(first.contains { if case .toolEnd(.main, _, "shell", let output) = $0 { output.content == "hello\n[exit status 0]" } else { false } })
        #expect(model.calls.count("main") == 0)

        await session.send(.submit("what did I run?"))
        _ = await events.collect { if case .turnEnd = $0 { return true } else { return false } }
        let messages = seen.withLock { $0 }
        #expect(messages.contains(.user("[I ran this shell command myself in the workspace; you did not run it.]\n$ echo hello\nhello\n[exit status 0]")))
        _ = await session.shutdown()
    }

    @Test("A bare ! is a usage message")
    func bareBangIsUsage() async {
        let session = session()
        await session.start()
        let events = session.events.subscribe()
        await session.send(.submit("  ! "))
        let seen = await events.collect { if case .reply = $0 { return true } else { return false } }
        #expect(seen.last == .reply(.usageError(ShellCommandLine.usage)))
        _ = await session.shutdown()
    }

    @Test("!COMMAND & starts a background shell task of the person's at once")
    func ampersandStartsABackgroundShell() async throws {
        let session = session()
        await session.start()
        let events = session.events.subscribe()
        await session.send(.submit("!sleep 30 &"))
        let seen = await events.collect { if case .reply = $0 { return true } else { return false } }
        guard case .reply(.shellStarted(let id, let command)) = seen.last else {
            Issue.record("expected shellStarted, got \(String(describing: seen.last))")
            return
        }
        #expect(command == "sleep 30")
        let snapshot = try #require(await session.registry.snapshot(of: id))
        #expect(snapshot.kind == .shell && snapshot.spawner == .topLevel && !snapshot.isTerminal)
        #expect(await !session.isTurnRunning)
        await session.send(.cancelTask(id))
        _ = await session.shutdown()
    }

    @Test("Ctrl+B moves a running !COMMAND to the background at once; its result reaches the main agent exactly once when it ends")
    func moveToBackground() async throws {
        let seen = Locked<[String]>([])
        let model = ClosureModel { _, _, request in
            if let latest = request.latestUserMessage { seen.withLock { $0.append(latest) } }
            return [.textDelta("noted"), .end]
        }
        let session = session(model: model)
        await session.start()
        let events = session.events.subscribe()
        let release = fixture.root.appendingPathComponent("release")
        await session.send(.submit("!echo started; while [ ! -e release ]; do sleep 0.05; done; echo finished"))
        _ = await events.collect { if case .toolProgress(_, _, "started", _) = $0 { return true } else { return false } }

        await session.send(.moveToBackground)
        let moved = await events.collect { if case .turnEnd = $0 { return true } else { return false } }
        guard let reply = moved.compactMap({ if case .reply(let reply) = $0 { reply } else { nil } }).first,
              case .movedToBackground(let id, _) = reply else {
            Issue.record("expected movedToBackground, got \(moved)")
            return
        }
        #expect(moved.contains { if case .toolEnd(_, _, "shell", let output) = $0 { output.content == "Moved to the background as task \(id); its result arrives when it finishes." } else { false } })
        let snapshot = try #require(await session.registry.snapshot(of: id))
        #expect(snapshot.mode == .background && snapshot.kind == .shell && !snapshot.isTerminal)
        #expect(await !session.isTurnRunning)

        try "".write(to: release, atomically: true, encoding: .utf8)
        _ = await events.collect { if case .turnEnd = $0 { return true } else { return false } }
        let delivered = seen.withLock { $0 }.filter { $0.contains("task=\"\(id)\"") }
        #expect(delivered.count == 1, "\(seen.withLock { $0 })")
        #expect(delivered.first?.contains("finished") == true)
        #expect(await session.registry.pendingResultCount(for: .topLevel) == 0)
        _ = await session.shutdown()
    }

    @Test("Ctrl+B with nothing running in the foreground says so")
    func nothingToMove() async {
        let session = session()
        await session.start()
        let events = session.events.subscribe()
        await session.send(.moveToBackground)
        let seen = await events.collect { if case .reply = $0 { return true } else { return false } }
        #expect(seen.last == .reply(.nothingToMoveToBackground))
        _ = await session.shutdown()
    }

    @Test("Esc stops a running !COMMAND and the turn ends once its processes are gone")
    func interruptStopsTheCommand() async throws {
        let session = session()
        await session.start()
        let events = session.events.subscribe()
        await session.send(.submit("!echo \"leader $$\"; sleep 30"))
        var leader: pid_t?
        _ = await events.collect { event in
            if case .toolProgress(_, _, let line, _) = event, line.hasPrefix("leader ") {
                leader = pid_t(line.dropFirst("leader ".count))
                return true
            }
            return false
        }
        let group = try #require(leader)
        await session.send(.interrupt)
        let ended = await events.collect { if case .turnEnd = $0 { return true } else { return false } }
        #expect(ended.last == .turnEnd(turn: 1, outcome: .cancelled))
        #expect(ProcessWatch.livingMembers(ofGroup: group).isEmpty)
        _ = await session.shutdown()
    }

    @Test("Ctrl+B moves the main agent's foreground sub-agent to the background: its call answers at once, the turn goes on, and the result arrives once later")
    func moveForegroundSubAgent() async throws {
        let gate = Gate()
        let seen = Locked<[String]>([])
        let model = ClosureModel { agent, turn, request in
            if agent == "helper" {
                try await gate.wait()
                return [.textDelta("helper done"), .end]
            }
            if let latest = request.latestUserMessage { seen.withLock { $0.append(latest) } }
            if turn == 0, request.latestUserMessage == "help me" {
                return [.call("agent", ["name": "helper", "prompt": "work"]), .end]
            }
            return [.textDelta("main answered"), .end]
        }
        let registry = TaskRegistry()
        let runtime = AgentRuntime(registry: registry, model: model, tools: [AgentTool()], workspace: fixture.root)
        let session = Session(runtime: runtime)
        await session.start()
        let events = session.events.subscribe()
        await session.send(.submit("help me"))
        await gate.untilArrivals(1)
        await session.send(.moveToBackground)
        let first = await events.collect { if case .turnEnd = $0 { return true } else { return false } }
        let moved = first.compactMap { event -> TaskID? in if case .reply(.movedToBackground(let id, _)) = event { id } else { nil } }
        let id = try #require(moved.first)
        #expect(first.contains { if case .toolEnd(_, _, "agent", let output) = $0 { output.content == "Sub-agent \"helper\" was moved to the background as task \(id); its result arrives when it finishes." } else { false } })
        #expect(await registry.snapshot(of: id)?.mode == .background)
        #expect(await registry.runningBackgroundAgents == 1)

        gate.open()
        _ = await events.collect { if case .turnEnd = $0 { return true } else { return false } }
        let delivered = seen.withLock { $0 }.filter { $0.contains("task=\"\(id)\"") }
        #expect(delivered.count == 1)
        #expect(delivered.first?.contains("helper done") == true)
        _ = await session.shutdown()
    }
}
