import Foundation
import MusterTestSupport
import Testing
@testable import MusterCore

#if canImport(Glibc)
import Glibc
#endif

/// Ctrl+B on the main agent's own `shell` call: it runs as a foreground `shell` task, which the
/// registry moves to the background as it is.
@Suite("Ctrl+B on the main agent's shell call")
struct MainShellCallMoveTests {
    let fixture: WorkspaceFixture

    init() throws {
        fixture = try WorkspaceFixture()
    }

    /// A session whose main agent runs `command` with the shell tool when asked "run", and
    /// records every user message it is given.
    private func session(command: String, timeout: Double = 120, seen: Locked<[String]>) -> Session {
        let model = ClosureModel { agent, turn, request in
            if let latest = request.latestUserMessage { seen.withLock { $0.append(latest) } }
            if agent == "main", request.latestUserMessage == "run", turn == 0 {
                return [.call("shell", ["command": .string(command), "timeout_seconds": .number(timeout)]), .end]
            }
            return [.textDelta("noted"), .end]
        }
        let runtime = AgentRuntime(
            registry: TaskRegistry(), model: model, tools: [ShellTool(grace: .milliseconds(300))], workspace: fixture.root,
            backgroundShells: BackgroundShells(configuration: .init(outputDirectory: fixture.root.appendingPathComponent(".shells"), grace: .milliseconds(300)))
        )
        return Session(runtime: runtime)
    }

    @Test("The main agent's shell call is a foreground shell task; Ctrl+B moves it mid-run, the call answers at once, the output so far stays in its file, and its result arrives exactly once")
    func moveMidRun() async throws {
        let seen = Locked<[String]>([])
        let release = fixture.root.appendingPathComponent("release")
        let session = session(command: "echo before; while [ ! -e release ]; do sleep 0.05; done; echo after", seen: seen)
        await session.start()
        let events = session.events.subscribe()
        await session.send(.submit("run"))
        var callID: String?
        _ = await events.collect { event in
            if case .toolProgress(.main, let id, "before", _) = event {
                callID = id
                return true
            }
            return false
        }
        let running = try #require(await session.registry.snapshot().first { $0.kind == .shell })
        #expect(running.mode == .foreground && running.spawner == .topLevel && !running.isTerminal)

        await session.send(.moveToBackground)
        let moved = await events.collect { if case .turnEnd = $0 { return true } else { return false } }
        #expect(moved.contains(.reply(.movedToBackground(running.id, name: running.name))))
        #expect(moved.contains { event in
            if case .toolEnd(.main, callID, "shell", let output) = event {
                output.content == "Moved to the background as task \(running.id); its result arrives when it finishes." && !output.isError
            } else { false }
        })
        let background = try #require(await session.registry.snapshot(of: running.id))
        #expect(background.mode == .background && background.kind == .shell && !background.isTerminal)
        #expect(await session.registry.runningBackgroundShells == 1)
        let tail = await session.runtime.backgroundShells.tail(of: running.id, lines: 10)
        #expect(tail?.lines == ["before"])

        try "".write(to: release, atomically: true, encoding: .utf8)
        _ = await events.tasks.readUntilFinished(running.id)
        // The result starts a turn of its own; let it end, and nothing more may arrive.
        _ = await events.collect { if case .turnEnd = $0 { return true } else { return false } }
        await session.waitUntilIdle()
        let delivered = seen.withLock { $0 }.filter { $0.contains("task=\"\(running.id)\"") }
        #expect(delivered.count == 1, "\(seen.withLock { $0 })")
        #expect(delivered.first.map { $0.contains("before") && $0.contains("after") && $0.contains("exit status 0") } == true)
        #expect(await session.registry.pendingResultCount(for: .topLevel) == 0)
        #expect(await session.runtime.backgroundShells.tail(of: running.id, lines: 10)?.lines == ["before", "after"])
        _ = await session.shutdown()
    }

    @Test("A main-agent shell call that is not moved answers as before, with its output and exit status, and consumes its result")
    func unmovedCallAnswersAsBefore() async throws {
        let seen = Locked<[String]>([])
        let session = session(command: "echo one; echo two >&2; exit 3", seen: seen)
        await session.start()
        let events = session.events.subscribe()
        await session.send(.submit("run"))
        let turn = await events.collect { if case .turnEnd = $0 { return true } else { return false } }
        #expect(turn.contains { if case .toolEnd(.main, _, "shell", let output) = $0 { output == ToolOutput("one\ntwo\n[exit status 3]", isError: true) } else { false } })
        await session.waitUntilIdle()
        #expect(await session.registry.pendingResultCount(for: .topLevel) == 0)
        #expect(!seen.withLock { $0 }.contains { $0.contains("<background-result") })
        _ = await session.shutdown()
    }

    @Test("The main agent's call still times out: the task is stopped and the call says so")
    func timeoutStillApplies() async throws {
        let session = session(command: "echo started; sleep 30", timeout: 0.5, seen: Locked([]))
        await session.start()
        let events = session.events.subscribe()
        await session.send(.submit("run"))
        let turn = await events.collect { if case .turnEnd = $0 { return true } else { return false } }
        #expect(turn.contains { event in
            if case .toolEnd(.main, _, "shell", let output) = event {
                output.isError && output.content.hasPrefix("started\n[Timed out after 0.5 s")
            } else { false }
        })
        #expect(await session.registry.snapshot().allSatisfy(\.isTerminal))
        _ = await session.shutdown()
    }

    @Test("Stopping a moved call leaves no process: not its group, not a setsid grandchild")
    func stopAfterMoveLeavesNoProcess() async throws {
        let tag = Int.random(in: 100_000...999_999)
        defer { for pid in ProcessWatch.sleeps(containing: "300.\(tag)") { kill(pid, SIGKILL) } }
        let seen = Locked<[String]>([])
        let session = session(command: "setsid -f sleep 300.\(tag)1; echo \"leader $$\"; sleep 300.\(tag)2", seen: seen)
        await session.start()
        let events = session.events.subscribe()
        await session.send(.submit("run"))
        var leader: pid_t?
        _ = await events.collect { event in
            if case .toolProgress(.main, _, let line, _) = event, line.hasPrefix("leader ") {
                leader = pid_t(line.dropFirst("leader ".count))
                return true
            }
            return false
        }
        let group = try #require(leader)
        #expect(await ProcessWatch.waitUntil(deadline: .now + .seconds(10)) {
            ProcessWatch.sleeps(containing: "300.\(tag)").count == 2
        })
        let id = try #require(await session.registry.snapshot().first { $0.kind == .shell }?.id)
        await session.send(.moveToBackground)
        _ = await events.collect { if case .turnEnd = $0 { return true } else { return false } }
        #expect(await session.registry.snapshot(of: id)?.mode == .background)

        await session.send(.cancelTask(id))
        let final = try #require(await events.tasks.readUntilFinished(id))
        #expect(final.status == .cancelled(by: .user))
        #expect(ProcessWatch.livingMembers(ofGroup: group).isEmpty)
        #expect(ProcessWatch.sleeps(containing: "300.\(tag)").isEmpty)
        _ = await session.shutdown()
    }

    @Test("Esc during the main agent's shell call stops it and everything it started, as before")
    func interruptStopsTheCall() async throws {
        let tag = Int.random(in: 100_000...999_999)
        defer { for pid in ProcessWatch.sleeps(containing: "300.\(tag)") { kill(pid, SIGKILL) } }
        let session = session(command: "setsid -f sleep 300.\(tag)1; echo ready; sleep 300.\(tag)2", seen: Locked([]))
        await session.start()
        let events = session.events.subscribe()
        await session.send(.submit("run"))
        _ = await events.collect { if case .toolProgress(.main, _, "ready", _) = $0 { return true } else { return false } }
        let id = try #require(await session.registry.snapshot().first { $0.kind == .shell }?.id)
        await session.send(.interrupt)
        _ = await events.collect { if case .turnEnd = $0 { return true } else { return false } }
        #expect(await session.registry.snapshot(of: id)?.status == .cancelled(by: .turnInterrupted))
        #expect(ProcessWatch.sleeps(containing: "300.\(tag)").isEmpty)
        _ = await session.shutdown()
    }
}
