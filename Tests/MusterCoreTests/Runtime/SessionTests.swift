import Foundation
import MusterCore
import Testing

@Suite("Session")
struct SessionTests {
    @Test("interrupting a turn cancels only the foreground work; background agents keep running")
    func interruptKeepsBackgroundRunning() async throws {
        let latch = Gate()
        let completions = Tally()
        let model = ClosureModel { agent, turn, request in
            switch (agent, turn) {
            case ("main", 0) where request.latestUserMessage == "start":
                return [.call("agent", ["name": "bg", "prompt": "bg", "background": true]), .call("block", id: "main-block"), .end]
            case ("bg", 0):
                return [.call("block"), .end]
            default:
                return [.textDelta("done"), .end]
            }
        }
        let runtime = makeRuntime(model: model, tools: [BlockTool(latch: latch, completions: completions)])
        let session = Session(runtime: runtime)
        await session.start()
        let events = session.events.subscribe()
        await session.send(.prompt("start"))
        var blocking = 0
        _ = await events.collect { event in
            if case .toolProgress(_, _, "blocking", _) = event { blocking += 1 }
            return blocking == 2
        }
        await session.send(.interrupt)
        let seen = await events.collect { event in
            if case .turnEnd = event { return true }
            return false
        }
        #expect(seen.last == .turnEnd(turn: 1, outcome: .cancelled))
        #expect(await session.isTurnRunning == false)
        #expect(await session.registry.runningBackgroundAgents == 1)
        #expect(completions.count("main") == 0)

        let report = await session.shutdown(grace: .seconds(5))
        #expect(report.cancelled.map(\.name) == ["bg"])
        #expect(report.stragglers.isEmpty)
        let rest = await events.readToEnd()
        #expect(rest.contains { if case .task(.finished(let task)) = $0 { task.name == "bg" } else { false } },
                "the bus ends after every task's end")
        #expect(await session.events.subscribe().next() == nil, "a subscription made after shutdown ends at once")
        latch.open()
    }

    @Test("input that arrives during a turn is queued and answered after it")
    func inputIsQueued() async throws {
        let latch = Gate()
        let model = ClosureModel { _, _, request in
            if request.latestUserMessage == "first" { try await latch.wait() }
            return [.textDelta("re: \(request.latestUserMessage ?? "")"), .end]
        }
        let runtime = makeRuntime(model: model, tools: [])
        let session = Session(runtime: runtime)
        await session.start()
        let events = session.events.subscribe()
        await session.send(.prompt("first"))
        await session.send(.prompt("second"))
        #expect(await session.queuedInputs == 1)
        latch.open()
        var outcomes: [TurnOutcome] = []
        _ = await events.collect { event in
            if case .turnEnd(_, let outcome) = event { outcomes.append(outcome) }
            return outcomes.count == 2
        }
        #expect(outcomes == [.completed(text: "re: first"), .completed(text: "re: second")])
        await session.waitUntilIdle()
        _ = await session.shutdown()
    }

    @Test("results that arrive while the main agent is idle start a turn that sees them")
    func resultsStartATurn() async throws {
        let latch = Gate()
        let model = ClosureModel { agent, _, request in
            switch agent {
            case "bg":
                try await latch.wait()
                return [.textDelta("bg result"), .end]
            default:
                if request.latestUserMessage == "launch" {
                    return request.messages.last.map { message in
                        if case .tool = message { [.textDelta("launched"), .end] } else {
                            [.call("agent", ["name": "bg", "prompt": "p", "background": true]), .end]
                        }
                    } ?? [.end]
                }
                let seen = request.latestUserMessage?.hasPrefix("<background-result") == true
                return [.textDelta(seen ? "summary of bg" : "?"), .end]
            }
        }
        let runtime = makeRuntime(model: model, tools: [])
        let session = Session(runtime: runtime)
        await session.start()
        let events = session.events.subscribe()
        await session.send(.prompt("launch"))
        _ = await events.collect { event in
            if case .turnEnd(1, _) = event { return true }
            return false
        }
        latch.open()
        let seen = await events.collect { event in
            if case .turnEnd(2, _) = event { return true }
            return false
        }
        #expect(seen.contains(.turnStart(turn: 2, trigger: .backgroundResults)))
        #expect(seen.last == .turnEnd(turn: 2, outcome: .completed(text: "summary of bg")))
        _ = await session.shutdown()
    }

    @Test("input queued behind a running turn is announced when its own turn starts, never inside the answer being streamed")
    func queuedInputIsAnnouncedAtItsTurn() async throws {
        let latch = Gate()
        let model = ClosureModel { _, _, request in
            if request.latestUserMessage == "first" { try await latch.wait() }
            return [.textDelta("re: \(request.latestUserMessage ?? "")"), .end]
        }
        let runtime = makeRuntime(model: model, tools: [])
        let session = Session(runtime: runtime)
        await session.start()
        let events = session.events.subscribe()
        await session.send(.prompt("first"))
        await session.send(.prompt("second"))
        latch.open()
        var seen: [SessionEvent] = []
        _ = await events.collect { event in
            seen.append(event)
            if case .turnEnd(2, _) = event { return true }
            return false
        }
        let announced = try #require(seen.firstIndex(of: .userInput(text: "second")))
        let firstEnded = try #require(seen.firstIndex(of: .turnEnd(turn: 1, outcome: .completed(text: "re: first"))))
        #expect(firstEnded < announced)
        #expect(seen[announced + 1] == .turnStart(turn: 2, trigger: .input("second")))
        _ = await session.shutdown()
    }

    // MARK: Operations

    /// A session whose main agent launches one background agent `bg` that blocks on `latch`
    /// (its tool reports "blocking" first), then answers.
    private func sessionWithBlockedAgent(latch: Gate) -> Session {
        let model = ClosureModel { agent, turn, request in
            switch (agent, turn) {
            case ("main", 0) where request.latestUserMessage == "launch":
                return [.call("agent", ["name": "bg", "prompt": "bg", "background": true]), .end]
            case ("bg", 0):
                return [.call("block"), .end]
            default:
                return [.textDelta("ok"), .end]
            }
        }
        return Session(runtime: makeRuntime(model: model, tools: [BlockTool(latch: latch, completions: Tally())]))
    }

    /// Launches `bg` and waits until its tool blocks; returns its id.
    private func launchBlockedAgent(_ session: Session, events: EventSubscription<SessionEvent, SessionEventKey>) async throws -> TaskID {
        await session.send(.submit("launch"))
        let seen = await events.collect { event in
            if case .toolProgress(let agent, _, "blocking", _) = event, agent.name == "bg" { return true }
            return false
        }
        let id = seen.compactMap { event -> TaskID? in
            if case .task(.started(let task)) = event, task.name == "bg" { task.id } else { nil }
        }.first
        return try #require(id)
    }

    @Test("a slash line sent to the session publishes the command, then its reply as data")
    func slashCommandThenReply() async {
        let session = Session(runtime: makeRuntime(model: ClosureModel { _, _, _ in [.end] }, tools: []))
        await session.start()
        let events = session.events.subscribe()
        await session.send(.submit("  /tasks  "))
        await session.send(.submit("/tasks stop"))
        let seen = await events.collect { event in
            if case .reply(.usageError) = event { return true }
            return false
        }
        #expect(seen == [
            .slashCommand(command: "/tasks"), .reply(.taskList([])),
            .slashCommand(command: "/tasks stop"), .reply(.usageError("Usage: /tasks stop <id>")),
        ])
        _ = await session.shutdown()
    }

    @Test("a stop op stops the task, and a second one says it is already ending")
    func stopOp() async throws {
        let latch = Gate()
        let session = sessionWithBlockedAgent(latch: latch)
        await session.start()
        let events = session.events.subscribe()
        let id = try await launchBlockedAgent(session, events: events)

        await session.send(.cancelTask(id))
        var replies: [CommandReply] = []
        let seen = await events.collect { event in
            if case .reply(let reply) = event { replies.append(reply) }
            if case .task(.finished(let task)) = event, task.id == id { return true }
            return false
        }
        #expect(replies == [.stopping(id, name: "bg", alreadyStopping: false)])
        let finished = seen.compactMap { event -> TaskSnapshot? in
            if case .task(.finished(let task)) = event { task } else { nil }
        }
        #expect(finished.last?.status == .cancelled(by: .user))

        await session.send(.cancelTask(id))
        await session.send(.cancelTask(TaskID(99)))
        let later = await events.collect { event in
            if case .reply(.noSuchTask) = event { return true }
            return false
        }
        #expect(later.filter { if case .reply = $0 { true } else { false } }.count == 2)
        #expect(later.contains { if case .reply(.alreadyFinished(let task)) = $0 { task.id == id } else { false } })
        #expect(later.last == .reply(.noSuchTask(TaskID(99))))
        latch.open()
        _ = await session.shutdown()
    }

    @Test("answers act on the question: no keeps everything running, an unclear line asks again, yes cancels")
    func answersAct() async throws {
        let latch = Gate()
        let session = sessionWithBlockedAgent(latch: latch)
        await session.start()
        let events = session.events.subscribe()
        let id = try await launchBlockedAgent(session, events: events)
        func nextReply() async -> CommandReply? {
            let seen = await events.collect { if case .reply = $0 { true } else { false } }
            if case .reply(let reply) = seen.last { return reply }
            return nil
        }

        await session.send(.submit("/cancel all"))
        #expect(await nextReply() == .confirm(ConfirmationRequest(.cancelAll, count: 1)))
        await session.send(.answer(false))
        #expect(await nextReply() == .declined(.cancelAll))
        // No question waits now: another answer does nothing, and the task still runs.
        await session.send(.answer(true))
        await session.send(.cancelAll)
        #expect(await nextReply() == .confirm(ConfirmationRequest(.cancelAll, count: 1)))
        // A typed line answers the question: neither yes nor no asks again, and is not a command.
        await session.send(.submit("/tasks"))
        #expect(await nextReply() == .unclearAnswer(ConfirmationRequest(.cancelAll, count: 1)))
        await session.send(.submit(" Yes "))
        #expect(await nextReply() == .stoppingAll([CommandReply.TaskName(id: id, name: "bg")]))
        let ended = await events.collect { event in
            if case .task(.finished(let task)) = event, task.id == id { return true }
            return false
        }
        #expect(!ended.contains { if case .slashCommand = $0 { true } else { false } })
        if case .task(.finished(let task)) = ended.last { #expect(task.status == .cancelled(by: .user)) }
        latch.open()
        _ = await session.shutdown()
    }

    @Test("quit asks first while a background agent runs; after the quit reply the session takes no more operations")
    func quitOp() async throws {
        let latch = Gate()
        let session = sessionWithBlockedAgent(latch: latch)
        await session.start()
        let events = session.events.subscribe()
        _ = try await launchBlockedAgent(session, events: events)

        await session.send(.quit)
        await session.send(.answer(false))
        await session.send(.submit("/quit"))
        await session.send(.answer(true))
        await session.send(.submit("/tasks"))
        await session.send(.prompt("more work"))
        let report = await session.shutdown()
        var seen: [SessionEvent] = []
        for await event in events { seen.append(event) }
        let mine = seen.filter { event in
            switch event {
            case .reply, .slashCommand, .userInput: true
            default: false
            }
        }
        #expect(mine == [
            .reply(.confirm(ConfirmationRequest(.quit, count: 1))), .reply(.declined(.quit)),
            .slashCommand(command: "/quit"), .reply(.confirm(ConfirmationRequest(.quit, count: 1))), .reply(.quit),
        ])
        #expect(report.cancelled.map(\.name) == ["bg"])
        latch.open()
    }
}
