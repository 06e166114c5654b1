import Foundation
import MusterTestSupport
import Testing
@testable import MusterCore

/// Background shells: a `shell` call with `background: true` runs on as a registry task of kind
/// `shell`, its output in a bounded file, its processes stopped with it.
@Suite("background shell")
struct BackgroundShellTests {
    let fixture: WorkspaceFixture

    init() throws {
        fixture = try WorkspaceFixture()
    }

    /// A runtime with the shell tool and a background-shell service writing under the fixture.
    private func runtime(grace: Duration = .seconds(2), rotateAt: Int = ShellOutputFile.defaultRotateAt, maxShells: Int = 10) -> AgentRuntime {
        let registry = TaskRegistry(configuration: .init(maxBackgroundShells: maxShells))
        let shells = BackgroundShells(configuration: .init(
            outputDirectory: fixture.root.appendingPathComponent(".shells"), grace: grace, rotateAt: rotateAt
        ))
        return AgentRuntime(
            registry: registry, model: ClosureModel { _, _, _ in [.end] },
            tools: [ShellTool(grace: grace), ReadTaskOutputTool()], workspace: fixture.root, backgroundShells: shells
        )
    }

    private func context(_ runtime: AgentRuntime, agent: AgentRef = .main) -> ToolContext {
        ToolContext(callID: "call_bg", agent: agent, workspace: fixture.root, progress: .discarding(), runtime: runtime)
    }

    /// Starts `command` as the main agent's background shell and returns its task id.
    private func startShell(_ command: String, in runtime: AgentRuntime) async throws -> TaskID {
        let output = try await ShellTool().run(["command": .string(command), "background": true], context: context(runtime))
        #expect(!output.isError, "\(output.content)")
        let match = try #require(output.content.firstMatch(of: /task #([0-9]+)/))
        return TaskID(try #require(Int(match.output.1)))
    }

    /// Waits until the task's output contains `text` (the command runs outside the program's control).
    private func waitForOutput(_ text: String, of id: TaskID, in runtime: AgentRuntime) async -> Bool {
        await ProcessWatch.waitUntil(deadline: .now + .seconds(10)) {
            runtime.backgroundShells.output(of: id)?.tail(lines: 50).lines.contains { $0.contains(text) } ?? false
        }
    }

    @Test("A background shell returns its task id at once and runs as a shell task listed in the registry")
    func startsAsATask() async throws {
        let runtime = runtime()
        let events = runtime.events.subscribe()
        let id = try await startShell("echo ready; sleep 30", in: runtime)
        let snapshot = try #require(await runtime.registry.snapshot(of: id))
        #expect(snapshot.kind == .shell && snapshot.mode == .background && snapshot.spawner == .topLevel)
        #expect(snapshot.description == "echo ready; sleep 30")
        #expect(await waitForOutput("ready", of: id, in: runtime))
        await runtime.registry.cancel(id, source: .user)
        let final = await events.tasks.readUntilFinished(id)
        #expect(final?.status == .cancelled(by: .user))
    }

    @Test("A command that fails delivers its exit status and last lines to its spawner exactly once")
    func failureIsDeliveredOnce() async throws {
        let runtime = runtime()
        let events = runtime.events.subscribe()
        let id = try await startShell("echo out; echo err >&2; exit 3", in: runtime)
        let final = try #require(await events.tasks.readUntilFinished(id))
        guard case .failed(let error) = final.status else {
            Issue.record("expected failed, got \(final.status)")
            return
        }
        #expect(error.hasPrefix("exit status 3\n"))
        #expect(error.hasSuffix("out\nerr"))
        let results = await runtime.registry.drainResults(for: .topLevel)
        #expect(results.map(\.id) == [id])
        #expect(await runtime.registry.drainResults(for: .topLevel).isEmpty)
    }

    @Test("A command that exits at once still gets its output delivered")
    func exitsAtOnce() async throws {
        let runtime = runtime()
        let events = runtime.events.subscribe()
        let id = try await startShell("printf 'first\\nlast\\n'", in: runtime)
        let final = try #require(await events.tasks.readUntilFinished(id))
        #expect(final.status == .completed(summary: "exit status 0\nlast lines of output:\nfirst\nlast"))
    }

    @Test("A command that floods output is bounded by the rotating file cap, and says so")
    func floodIsBounded() async throws {
        let rotateAt = 256 * 1024
        let runtime = runtime(rotateAt: rotateAt)
        let events = runtime.events.subscribe()
        let id = try await startShell("yes 0123456789abcdef | head -c 5000000; echo; echo end", in: runtime)
        let final = try #require(await events.tasks.readUntilFinished(id))
        guard case .completed(let summary) = final.status else {
            Issue.record("expected completed, got \(final.status)")
            return
        }
        #expect(summary.contains("end"))
        #expect(summary.contains("output rotated"))
        let file = try #require(runtime.backgroundShells.output(of: id))
        #expect(file.counts.total == 5_000_005)
        let sizes = [file.url, file.previousURL].map { (try? FileManager.default.attributesOfItem(atPath: $0.path)[.size] as? Int) ?? -1 }
        // Each file holds at most the rotation size plus one read of the pump.
        #expect(sizes.allSatisfy { $0 >= 0 && $0 <= rotateAt + OutputPump.chunk }, "\(sizes)")
        #expect(file.counts.dropped >= 5_000_005 - 2 * (rotateAt + OutputPump.chunk))
    }

    @Test("A stopped command that ignores SIGTERM shows stopping until SIGKILL after the grace period reaped it")
    func ignoresSIGTERM() async throws {
        let grace = Duration.milliseconds(400)
        let runtime = runtime(grace: grace)
        let events = runtime.events.subscribe()
        let id = try await startShell("trap '' TERM; echo \"leader $$\"; while :; do sleep 0.05; done", in: runtime)
        #expect(await waitForOutput("leader", of: id, in: runtime))
        let line = try #require(runtime.backgroundShells.output(of: id)?.tail(lines: 5).lines.first { $0.hasPrefix("leader") })
        let leader = try #require(pid_t(line.dropFirst("leader ".count)))

        let stoppedAt = ContinuousClock.now
        await runtime.registry.cancel(id, source: .user)
        let stopping = try #require(await runtime.registry.snapshot(of: id))
        #expect(stopping.isStopping && stopping.statusWord == "stopping")
        let final = try #require(await events.tasks.readUntilFinished(id))
        let took = ContinuousClock.now - stoppedAt
        #expect(final.status == .cancelled(by: .user))
        #expect(took >= grace, "terminal only after the grace period and SIGKILL, not at once: \(took)")
        // Terminal means gone: nothing of the group is left when the finished event is out.
        #expect(ProcessWatch.livingMembers(ofGroup: leader).isEmpty)
    }

    @Test("With no grace period a stopped command is killed at once, never sent SIGTERM")
    func zeroGraceKillsAtOnce() async throws {
        let runtime = runtime(grace: .zero)
        let events = runtime.events.subscribe()
        let id = try await startShell("trap 'echo got TERM' TERM; echo \"leader $$\"; while :; do sleep 0.05; done", in: runtime)
        #expect(await waitForOutput("leader", of: id, in: runtime))
        await runtime.registry.cancel(id, source: .user)
        let final = try #require(await events.tasks.readUntilFinished(id))
        #expect(final.status == .cancelled(by: .user))
        let lines = try #require(runtime.backgroundShells.output(of: id)?.tail(lines: 10).lines)
        #expect(!lines.contains("got TERM"), "SIGTERM was sent first: \(lines)")
    }

    @Test("Stopping a background shell also stops a grandchild that left with setsid")
    func setsidGrandchildDies() async throws {
        let tag = Int.random(in: 100_000...999_999)
        defer { for pid in ProcessWatch.sleeps(containing: "300.\(tag)") { kill(pid, SIGKILL) } }
        let runtime = runtime(grace: .milliseconds(500))
        let events = runtime.events.subscribe()
        let id = try await startShell("setsid -f sleep 300.\(tag)1; echo ready; sleep 300.\(tag)2", in: runtime)
        #expect(await ProcessWatch.waitUntil(deadline: .now + .seconds(10)) {
            ProcessWatch.sleeps(containing: "300.\(tag)").count == 2
        })
        await runtime.registry.cancel(id, source: .user)
        _ = await events.tasks.readUntilFinished(id)
        #expect(ProcessWatch.sleeps(containing: "300.\(tag)").isEmpty)
    }

    @Test("More background shells than the cap are refused with a clear reason, and agents are not counted")
    func capRefuses() async throws {
        let runtime = runtime(maxShells: 2)
        let events = runtime.events.subscribe()
        let first = try await startShell("sleep 30", in: runtime)
        let second = try await startShell("sleep 30", in: runtime)
        let refused = try await ShellTool().run(["command": "sleep 30", "background": true], context: context(runtime))
        #expect(refused == .error("Cannot start background shell: maximum concurrent background shells (2) reached. Stop one first (/tasks stop or cancel_task)."))
        #expect(await runtime.registry.runningBackgroundShells == 2)
        #expect(await runtime.registry.runningBackgroundAgents == 0)
        #expect(await runtime.registry.preflight(mode: .background, kind: .agent) == nil)
        await runtime.registry.cancelAll()
        _ = await events.tasks.readUntilFinished([first, second])
        #expect(await runtime.registry.runningBackgroundShells == 0)
    }

    @Test("A background shell is stopped when the agent that started it ends")
    func cascadesFromItsSpawner() async throws {
        let runtime = runtime()
        let events = runtime.events.subscribe()
        let shells = runtime.backgroundShells
        let registry = runtime.registry
        let workspace = fixture.root
        let parent = try await registry.start(.init(name: "parent", description: "starts a shell", mode: .background)) { context in
            let id = try await shells.start(command: "sleep 30", spawner: context.asSpawner, registry: registry, workspace: workspace)
            return "\(id.rawValue)"
        }
        let parentFinal = try #require(await events.tasks.readUntilFinished(parent))
        guard case .completed(let summary) = parentFinal.status, let raw = Int(summary) else {
            Issue.record("parent did not complete: \(parentFinal.status)")
            return
        }
        let shell = TaskID(raw)
        let final = try #require(await events.tasks.readUntilFinished(shell))
        #expect(final.status == .cancelled(by: .parentEnded(parent)))
    }

    @Test("read_task_output reads the tail of the caller's own shell and refuses another's")
    func readTaskOutputIsScoped() async throws {
        let runtime = runtime()
        let events = runtime.events.subscribe()
        let id = try await startShell("seq 1 100", in: runtime)
        _ = await events.tasks.readUntilFinished(id)
        let tool = ReadTaskOutputTool()
        let own = try await tool.run(["task_id": .string("\(id)"), "lines": 3], context: context(runtime))
        #expect(own == ToolOutput("Task \(id) (seq 1 100) · completed\n98\n99\n100"))
        let other = try await tool.run(["task_id": .number(Double(id.rawValue))], context: context(runtime, agent: AgentRef(name: "explore", taskID: TaskID(99))))
        #expect(other == .error("Task \(id) was not launched by you."))
    }

    @Test("/tasks show of a background shell shows the live tail of its output")
    func tasksShowShowsTheTail() async throws {
        let runtime = runtime()
        let events = runtime.events.subscribe()
        let id = try await startShell("echo one; echo two; sleep 30", in: runtime)
        #expect(await waitForOutput("two", of: id, in: runtime))
        let processor = CommandProcessor(registry: runtime.registry, shells: runtime.backgroundShells)
        let reply = await processor.run("/tasks show \(id.rawValue)")
        guard case .taskDetail(let task, let transcript, _, _) = reply else {
            Issue.record("expected a task detail, got \(reply)")
            return
        }
        #expect(task.kind == .shell)
        #expect(transcript.lines == ["one", "two"])
        await runtime.registry.cancel(id, source: .user)
        _ = await events.tasks.readUntilFinished(id)
    }

    @Test("/quit asks first while only a background shell runs, and names it; yes quits")
    func quitAsksWhileAShellRuns() async throws {
        let runtime = runtime()
        let events = runtime.events.subscribe()
        let id = try await startShell("sleep 30", in: runtime)
        let processor = CommandProcessor(registry: runtime.registry, shells: runtime.backgroundShells)
        let reply = await processor.run("/quit")
        let request = ConfirmationRequest(.quit, count: 0, shells: 1)
        #expect(reply == .confirm(request))
        #expect(request.prompt == "1 background shell is running. Stop it and quit? (y/n)")
        #expect(ConfirmationRequest(.quit, count: 2, shells: 3).prompt == "2 background agents and 3 background shells are running. Stop them and quit? (y/n)")
        #expect(await processor.answer(true, to: request) == .quit)
        // In the log: `shells` only when there are some; a record without it reads as none.
        let older = try JSONDecoder().decode(ConfirmationRequest.self, from: Data(#"{"action":"quit","count":2}"#.utf8))
        #expect(older == ConfirmationRequest(.quit, count: 2))
        #expect(String(decoding: try JSONEncoder().encode(request), as: UTF8.self).contains(#""shells":1"#))
        await runtime.registry.cancel(id, source: .user)
        _ = await events.tasks.readUntilFinished(id)
    }
}
