import Clocks
import Foundation
import MusterCore
import Testing

/// The settle window (results arriving close together are answered together) and results that
/// start no turn (a stop the person made), on a test clock.
@Suite("Session settle window")
struct SessionSettleTests {
    /// A session whose main agent launches one background agent per gate (`w0`, `w1`, ...), each
    /// answering when its gate opens; the main agent answers a batch of results with
    /// `answered N`, N the results in the batch.
    private static func session(gates: [Gate], clock: TestClock<Duration>) -> (Session, ClosureModel) {
        let model = ClosureModel { agent, turn, request in
            if agent != "main" {
                let index = Int(agent.dropFirst()) ?? 0
                try await gates[index].wait()
                return [.textDelta("report of \(agent)"), .end]
            }
            if request.latestUserMessage == "launch" {
                if turn == 0 {
                    return gates.indices.map { .call("agent", ["name": .string("w\($0)"), "prompt": "p", "background": true]) } + [.end]
                }
                return [.textDelta("launched"), .end]
            }
            guard request.latestUserMessage?.hasPrefix("<background-result") == true else {
                let cancelled = request.messages.filter { message in
                    if case .user(let text) = message { text.contains("status=\"cancelled\"") } else { false }
                }
                return [.textDelta("saw \(cancelled.count) cancelled"), .end]
            }
            let results = request.messages.reversed().prefix { message in
                if case .user(let text) = message { text.hasPrefix("<background-result") } else { false }
            }
            return [.textDelta("answered \(results.count)"), .end]
        }
        let runtime = makeRuntime(model: model, tools: [], clock: clock)
        return (Session(runtime: runtime), model)
    }

    /// Launches the agents and waits for the launch turn's end; returns their ids by name.
    private static func launch(_ session: Session, events: EventSubscription<SessionEvent, SessionEventKey>) async -> [String: TaskID] {
        await session.send(.prompt("launch"))
        var ids: [String: TaskID] = [:]
        _ = await events.collect { event in
            if case .task(.started(let task)) = event { ids[task.name] = task.id }
            if case .turnEnd(1, _) = event { return true }
            return false
        }
        return ids
    }

    /// Reads until `count` results wait for the main agent.
    private static func untilWaiting(_ count: Int, _ events: EventSubscription<SessionEvent, SessionEventKey>) async -> [SessionEvent] {
        await events.collect { event in
            if case .task(.resultsWaiting(.topLevel, let waiting)) = event { return waiting == count }
            return false
        }
    }

    private static func turnStarts(_ events: [SessionEvent]) -> [TurnTrigger] {
        events.compactMap { if case .turnStart(_, let trigger) = $0 { trigger } else { nil } }
    }

    @Test("three results within the settle window start one turn, and one model call answers all three")
    func resultsWithinTheWindowGiveOneTurn() async throws {
        let clock = TestClock<Duration>()
        let gates = [Gate(), Gate(), Gate()]
        let (session, model) = Self.session(gates: gates, clock: clock)
        await session.start()
        let events = session.events.subscribe()
        _ = await Self.launch(session, events: events)
        let callsBefore = model.calls.count("main")

        for gate in gates { gate.open() }
        var seen = await Self.untilWaiting(3, events)
        #expect(Self.turnStarts(seen).isEmpty, "no turn before the window closes")
        await clock.untilSleeping()
        await clock.advance(by: .milliseconds(500))
        seen = await events.collect { if case .turnEnd = $0 { true } else { false } }
        #expect(seen.last == .turnEnd(turn: 2, outcome: .completed(text: "answered 3")))
        #expect(model.calls.count("main") == callsBefore + 1)

        _ = await session.shutdown()
        let rest = await events.readToEnd()
        #expect(Self.turnStarts(seen + rest) == [.backgroundResults], "one turn for the three results")
    }

    @Test("results 6 s apart start two turns")
    func resultsFarApartGiveTwoTurns() async throws {
        let clock = TestClock<Duration>()
        let gates = [Gate(), Gate()]
        let (session, model) = Self.session(gates: gates, clock: clock)
        await session.start()
        let events = session.events.subscribe()
        _ = await Self.launch(session, events: events)
        let callsBefore = model.calls.count("main")

        gates[0].open()
        _ = await Self.untilWaiting(1, events)
        await clock.untilSleeping()
        await clock.advance(by: .milliseconds(500))
        var seen = await events.collect { if case .turnEnd = $0 { true } else { false } }
        #expect(seen.last == .turnEnd(turn: 2, outcome: .completed(text: "answered 1")))

        await clock.advance(by: .milliseconds(5500))
        gates[1].open()
        seen += await Self.untilWaiting(1, events)
        await clock.untilSleeping()
        await clock.advance(by: .milliseconds(500))
        seen += await events.collect { if case .turnEnd = $0 { true } else { false } }
        #expect(seen.last == .turnEnd(turn: 3, outcome: .completed(text: "answered 1")))
        #expect(Self.turnStarts(seen) == [.backgroundResults, .backgroundResults])
        #expect(model.calls.count("main") == callsBefore + 2)
        _ = await session.shutdown()
    }

    @Test("the result of a task the person stopped starts no turn; the next turn sees it")
    func userStopStartsNoTurn() async throws {
        let clock = TestClock<Duration>()
        let (session, model) = Self.session(gates: [Gate()], clock: clock)
        await session.start()
        let events = session.events.subscribe()
        let ids = await Self.launch(session, events: events)
        let callsBefore = model.calls.count("main")

        await session.send(.cancelTask(try #require(ids["w0"])))
        var seen = await Self.untilWaiting(1, events)
        await clock.untilSleeping()
        await clock.advance(by: .milliseconds(500))
        // The window closed: the result is taken into the conversation, with no turn.
        seen += await Self.untilWaiting(0, events)
        await session.waitUntilIdle()
        #expect(Self.turnStarts(seen).isEmpty)
        #expect(model.calls.count("main") == callsBefore)

        await session.send(.prompt("status"))
        seen = await events.collect { if case .turnEnd = $0 { true } else { false } }
        #expect(Self.turnStarts(seen) == [.input("status")])
        #expect(seen.last.map { event in
            if case .turnEnd(_, .completed(let text)) = event { text == "saw 1 cancelled" } else { false }
        } == true, "the person's next turn sees the stopped task's result")
        #expect(model.calls.count("main") == callsBefore + 1)
        _ = await session.shutdown()
    }

    @Test("the result of a task its spawner stopped starts a turn")
    func spawnerStopStartsATurn() async throws {
        let clock = TestClock<Duration>()
        let (session, model) = Self.session(gates: [Gate()], clock: clock)
        await session.start()
        let events = session.events.subscribe()
        let ids = await Self.launch(session, events: events)
        let callsBefore = model.calls.count("main")

        await session.registry.cancel(try #require(ids["w0"]), requestedBy: .topLevel)
        _ = await Self.untilWaiting(1, events)
        await clock.untilSleeping()
        await clock.advance(by: .milliseconds(500))
        let seen = await events.collect { if case .turnEnd = $0 { true } else { false } }
        #expect(Self.turnStarts(seen) == [.backgroundResults])
        #expect(seen.last == .turnEnd(turn: 2, outcome: .completed(text: "answered 1")))
        #expect(model.calls.count("main") == callsBefore + 1)
        _ = await session.shutdown()
    }
}
