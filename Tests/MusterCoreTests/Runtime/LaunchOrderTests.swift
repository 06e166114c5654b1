import Foundation
@testable import MusterCore
import MusterTestSupport
import Testing

/// The calls of one turn that start tasks register them in the order the model listed them,
/// although they run at once.
@Suite("Launch order", .timeLimit(.minutes(1)))
struct LaunchOrderTests {
    @Test("agent calls of one turn get their ids in the order listed, background and foreground mixed, turn after turn")
    func idsFollowTheCalls() async throws {
        let rounds = 6
        let perTurn = 12
        let model = ClosureModel { agent, turn, request in
            switch (agent, turn) {
            case ("main", 0) where request.latestUserMessage?.hasPrefix("r") == true:
                let round = request.latestUserMessage ?? "?"
                return (0..<perTurn).map { index in
                    .call("agent", ["name": .string("\(round)-w\(index)"), "prompt": "p", "background": .bool(index % 4 != 3)])
                } + [.end]
            case ("main", _):
                return [.textDelta("ok"), .end]
            default:
                return [.textDelta("done"), .end]
            }
        }
        let runtime = makeRuntime(model: model, tools: [], maxBackgroundAgents: rounds * perTurn)
        // From the started events: the listing keeps only the latest of the ended tasks.
        let events = runtime.registry.events.subscribe().tasks
        var expected: [String] = []
        for round in 0..<rounds {
            var conversation: [ChatMessage] = [.user("r\(round)")]
            _ = try await runtime.run(agent: .main, conversation: &conversation)
            expected += (0..<perTurn).map { "r\(round)-w\($0)" }
        }
        #expect(await Self.namesInIDOrder(of: expected.count, startedOn: events) == expected)
        _ = await runtime.registry.shutdown(grace: .seconds(1))
    }

    @Test("past the cap, the calls listed first get the slots and the rest are refused, every time")
    func slotsFollowTheCalls() async throws {
        let never = Gate()
        let model = ClosureModel { agent, turn, request in
            switch (agent, turn) {
            case ("main", 0) where request.latestUserMessage == "go":
                return (0..<12).map { .call("agent", ["name": .string("w\($0)"), "prompt": "p", "background": true], id: "c\($0)") } + [.end]
            case ("main", _):
                return [.textDelta("ok"), .end]
            default:
                // The workers hold their slots until the shutdown cancels them.
                try await never.wait()
                return [.end]
            }
        }
        for _ in 0..<20 {
            let runtime = makeRuntime(model: model, tools: [], maxBackgroundAgents: 4)
            var conversation: [ChatMessage] = [.user("go")]
            _ = try await runtime.run(agent: .main, conversation: &conversation)
            let results = conversation.compactMap { message -> (String, String)? in
                if case .tool(let callID, _, let content) = message { (callID, content) } else { nil }
            }
            #expect(results.map(\.0) == (0..<12).map { "c\($0)" })
            #expect(results.map { $0.1.contains("started (task") } == (0..<12).map { $0 < 4 }, "\(results)")
            _ = await runtime.registry.shutdown(grace: .seconds(1))
        }
    }

    @Test("a call that fails before registering (a bad argument) does not hold up the calls after it")
    func failedCallHandsOn() async throws {
        let model = ClosureModel { agent, turn, request in
            switch (agent, turn) {
            case ("main", 0) where request.latestUserMessage == "go":
                return [
                    .call("agent", ["name": "w0", "prompt": "p", "background": true], id: "c0"),
                    .call("agent", ["prompt": "no name", "background": true], id: "c1"),
                    .call("agent", ["name": "w2", "prompt": "p", "background": true], id: "c2"),
                ] + [.end]
            case ("main", _):
                return [.textDelta("ok"), .end]
            default:
                return [.textDelta("done"), .end]
            }
        }
        let runtime = makeRuntime(model: model, tools: [])
        let events = runtime.registry.events.subscribe().tasks
        var conversation: [ChatMessage] = [.user("go")]
        _ = try await runtime.run(agent: .main, conversation: &conversation)
        let results = conversation.compactMap { message -> String? in
            if case .tool(_, _, let content) = message { content } else { nil }
        }
        #expect(results.count == 3)
        #expect(results.count == 3 && results[1].contains("name"), "\(results)")
        #expect(await Self.namesInIDOrder(of: 2, startedOn: events) == ["w0", "w2"])
        _ = await runtime.registry.shutdown(grace: .seconds(1))
    }

    @Test("a turn opens to the next position only once every earlier one has handed it on")
    func turnsOpenInOrder() async throws {
        let order = LaunchOrder(positions: 4)
        let opened = Recorder<Int>()
        await withTaskGroup(of: Void.self) { group in
            for position in (1..<4).reversed() {
                group.addTask {
                    let ticket = order.ticket(position)
                    #expect(await ticket.waitTurn())
                    opened.record(position)
                    ticket.handOn()
                }
            }
            #expect(await order.ticket(0).waitTurn())
            #expect(opened.values.isEmpty)
            order.ticket(0).handOn()
            await group.waitForAll()
        }
        #expect(opened.values == [1, 2, 3])
    }

    @Test("a position that ended early (handed on before its turn) is passed over once the earlier ones hand on")
    func earlyEndsArePassedOver() async throws {
        let order = LaunchOrder(positions: 4)
        order.ticket(2).handOn()
        let third = Task { await order.ticket(3).waitTurn() }
        let second = Task { await order.ticket(1).waitTurn() }
        order.ticket(0).handOn()
        order.ticket(0).handOn()
        #expect(await second.value)
        order.ticket(1).handOn()
        #expect(await third.value)
    }

    @Test("a call cancelled while it waits for its turn gives up at once, and hands on")
    func cancelledWaitGivesUp() async throws {
        let order = LaunchOrder(positions: 3)
        let waiting = Task { await order.ticket(1).waitTurn() }
        waiting.cancel()
        #expect(await waiting.value == false)
        order.ticket(1).handOn()
        order.ticket(0).handOn()
        #expect(await order.ticket(2).waitTurn())
    }

    /// The names of the next `count` tasks started on `events`, in id order.
    static func namesInIDOrder(of count: Int, startedOn events: TaskEvents) async -> [String] {
        var started: [(id: TaskID, name: String)] = []
        _ = await events.read(until: { event in
            if case .started(let task) = event { started.append((task.id, task.name)) }
            return started.count == count
        })
        return started.sorted { $0.id < $1.id }.map(\.name)
    }
}
