import MusterCore
import Testing

@Suite("Background agent limit", .timeLimit(.minutes(1)))
struct BackgroundAgentLimitTests {
    // MARK: Resolving the limit

    @Test("The cap is 10 when neither a flag nor the environment sets it")
    func defaultsToTen() {
        let limit = BackgroundAgentLimit.resolve(flag: nil, environment: [:])
        #expect(limit.value == 10)
        #expect(limit.warning == nil)
        #expect(BackgroundAgentLimit.defaultValue == 10)
        #expect(TaskRegistry.Configuration().maxBackgroundAgents == 10)
        #expect(TaskRegistry().maxBackgroundAgents == 10)
    }

    @Test("The flag wins over the environment")
    func flagWins() {
        let limit = BackgroundAgentLimit.resolve(flag: "3", environment: ["MUSTER_MAX_BACKGROUND_AGENTS": "7"])
        #expect(limit.value == 3)
        #expect(limit.warning == nil)
    }

    @Test("The environment sets the cap when no flag is given")
    func environmentSetsCap() {
        let limit = BackgroundAgentLimit.resolve(flag: nil, environment: ["MUSTER_MAX_BACKGROUND_AGENTS": " 7 "])
        #expect(limit.value == 7)
        #expect(limit.warning == nil)
    }

    @Test("An invalid flag falls back to the default with a warning naming the value and the default",
          arguments: ["0", "-3", "2.5", "abc", ""])
    func invalidFlagWarns(value: String) throws {
        let limit = BackgroundAgentLimit.resolve(flag: value, environment: ["MUSTER_MAX_BACKGROUND_AGENTS": "7"])
        #expect(limit.value == 10)
        let warning = try #require(limit.warning)
        #expect(warning == "Ignoring --max-background-agents=\"\(value)\": expected a positive whole number; using the default of 10.")
    }

    @Test("An invalid environment value falls back to the default with a warning naming the variable, the value and the default",
          arguments: ["0", "-3", "2.5", "abc", ""])
    func invalidEnvironmentWarns(value: String) throws {
        let limit = BackgroundAgentLimit.resolve(flag: nil, environment: ["MUSTER_MAX_BACKGROUND_AGENTS": value])
        #expect(limit.value == 10)
        let warning = try #require(limit.warning)
        #expect(warning == "Ignoring MUSTER_MAX_BACKGROUND_AGENTS=\"\(value)\": expected a positive whole number; using the default of 10.")
    }

    @Test("A warning shows control characters escaped, never raw")
    func warningEscapesControlCharacters() throws {
        let limit = BackgroundAgentLimit.resolve(flag: "4\u{1B}[2J\n", environment: [:])
        let warning = try #require(limit.warning)
        #expect(!warning.contains("\u{1B}"))
        #expect(!warning.contains("\n"))
        #expect(warning.contains("default of 10"))
    }

    @Test("A configured cap below one is raised to one")
    func configurationClampsCap() {
        #expect(TaskRegistry.Configuration(maxBackgroundAgents: 0).maxBackgroundAgents == 1)
        #expect(TaskRegistry.Configuration(maxBackgroundAgents: -5).maxBackgroundAgents == 1)
    }

    // MARK: Enforcing the cap

    @Test("The refusal states the limit in the exact words people see")
    func refusalText() {
        #expect(TaskRegistry.StartRefusal.capReached(limit: 3).description
            == "Cannot start background agent: maximum concurrent background agents (3) reached. Stop an existing agent first.")
        #expect(TaskRegistry.StartRefusal.capReached(limit: 10).description
            == "Cannot start background agent: maximum concurrent background agents (10) reached. Stop an existing agent first.")
    }

    @Test("With the cap reached the next background agent is refused and the running ones keep running")
    func refusesPastCap() async throws {
        let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: 3))
        let events = registry.events.subscribe().tasks
        let gate = Gate()
        var admitted: [TaskID] = []
        for _ in 0..<3 {
            admitted.append(try await registry.start(.background()) { _ in try await gate.wait(); return "done" })
        }
        await gate.untilArrivals(3)

        await #expect(throws: TaskRegistry.StartRefusal.capReached(limit: 3)) {
            try await registry.start(.background()) { _ in "never" }
        }
        #expect(await registry.preflight(mode: .background) == .capReached(limit: 3))
        #expect(await registry.runningBackgroundAgents == 3)
        for id in admitted {
            #expect(await registry.snapshot(of: id)?.status == .running(step: 0, activity: nil))
        }
        #expect(await registry.snapshot().map(\.id) == admitted, "the refused start left no entry")

        gate.open()
        let finished = await events.readUntilFinished(admitted)
        #expect(finished.values.allSatisfy { $0.status == .completed(summary: "done") })
        #expect(await registry.runningBackgroundAgents == 0)
    }

    @Test("Foreground tasks, shell tasks and finished agents do not count against the cap; a stopping agent does until its body returns")
    func onlyRunningBackgroundAgentsCount() async throws {
        let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: 2))
        let events = registry.events.subscribe().tasks
        let gate = Gate()
        let stubborn = Gate()

        // Foreground agents and background shell tasks never count.
        for _ in 0..<5 { _ = try await registry.start(.foreground()) { _ in try await gate.wait(); return "fg" } }
        for _ in 0..<5 { _ = try await registry.start(.background("make", kind: .shell)) { _ in try await gate.wait(); return "sh" } }
        #expect(await registry.runningBackgroundAgents == 0)
        #expect(await registry.preflight(mode: .background) == nil)

        let first = try await registry.start(.background()) { _ in await stubborn.waitIgnoringCancellation(); return "late" }
        let second = try await registry.start(.background()) { _ in try await gate.wait(); return "bg" }
        #expect(await registry.runningBackgroundAgents == 2)
        #expect(await registry.preflight(mode: .background) == .capReached(limit: 2))
        #expect(await registry.preflight(mode: .foreground) == nil)
        #expect(await registry.preflight(mode: .background, kind: .shell) == nil)
        await #expect(throws: TaskRegistry.StartRefusal.capReached(limit: 2)) {
            try await registry.start(.background()) { _ in "never" }
        }

        // A cancel request does not free the slot while the body ignores it: its work still runs.
        await stubborn.untilArrivals(1)
        await registry.cancel(first)
        #expect(await registry.snapshot(of: first)?.status.isTerminal == false)
        #expect(await registry.snapshot(of: first)?.statusWord == "stopping")
        #expect(await registry.runningBackgroundAgents == 2)
        #expect(await registry.preflight(mode: .background) == .capReached(limit: 2))
        // Once the body really returns, the slot is free.
        stubborn.open()
        #expect(await events.readUntilFinished(first)?.status == .cancelled(by: .user))
        #expect(await registry.runningBackgroundAgents == 1)
        #expect(await registry.preflight(mode: .background) == nil)
        let third = try await registry.start(.background()) { _ in "quick" }
        _ = await events.readUntilFinished(third)

        // A finished agent no longer counts either.
        #expect(await registry.runningBackgroundAgents == 1)
        #expect(await registry.preflight(mode: .background) == nil)
        let fourth = try await registry.start(.background()) { _ in try await gate.wait(); return "bg" }
        #expect(await registry.runningBackgroundAgents == 2)
        #expect(await registry.preflight(mode: .background) == .capReached(limit: 2))

        gate.open()
        stubborn.open()
        _ = await events.readUntilFinished([second, fourth])
        #expect(await registry.runningBackgroundAgents == 0)
        #expect(await registry.activeTasks == 0)
    }

    @Test("Preflight gives exactly the answer the following start gets")
    func preflightAgreesWithStart() async throws {
        let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: 4))
        let events = registry.events.subscribe().tasks
        let gate = Gate()
        var started: [TaskID] = []
        for _ in 0..<8 {
            let (predicted, outcome) = await registry.atomically { registry in
                let predicted = registry.preflight(mode: .background)
                return (predicted, registry.startResult(.background()) { _ in try await gate.wait(); return "done" })
            }
            switch outcome {
            case .success(let id):
                #expect(predicted == nil)
                started.append(id)
            case .failure(let refusal):
                #expect(predicted == refusal)
            }
        }
        #expect(started.count == 4)
        gate.open()
        _ = await events.readUntilFinished(started)
    }
}
