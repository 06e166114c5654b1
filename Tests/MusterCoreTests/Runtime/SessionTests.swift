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
        await session.submit("start")
        var blocking = 0
        _ = await events.collect { event in
            if case .toolProgress(_, _, "blocking") = event { blocking += 1 }
            return blocking == 2
        }
        #expect(await session.interruptTurn())
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
        await session.submit("first")
        await session.submit("second")
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
        await session.submit("launch")
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
        await session.submit("first")
        await session.submit("second")
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
}
