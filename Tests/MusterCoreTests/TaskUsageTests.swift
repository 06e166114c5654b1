import Foundation
@testable import MusterCore
import MusterTestSupport
import Testing

/// Usage per task: own counts, rolled up to every ancestor (own + children), and written to the log.
@Suite("Task usage")
struct TaskUsageTests {
    @Test("usage recorded for a task counts as its own and as its children's for every task above it; ended ancestors publish nothing")
    func rollUp() throws {
        var machine = RegistryMachineTests.machine(cap: 5)
        let top = try RegistryMachineTests.running(.background("top"), in: &machine)
        let middle = try RegistryMachineTests.running(.background("middle", spawner: .task(top)), in: &machine)
        let leaf = try RegistryMachineTests.running(.foreground("leaf", spawner: .task(middle)), in: &machine)
        let sibling = try RegistryMachineTests.running(.background("sibling"), in: &machine)

        var effects: [RegistryEffect] = []
        machine.recordUsage(leaf, TaskUsage(inputTokens: 100, outputTokens: 20, modelCalls: 1), now: .zero, into: &effects)
        #expect(Set(RegistryMachineTests.published(effects).compactMap(\.snapshot?.id)) == [leaf, middle, top])
        effects = []
        machine.recordUsage(leaf, TaskUsage(toolCalls: 2), now: .zero, into: &effects)
        machine.recordUsage(middle, TaskUsage(inputTokens: 5, outputTokens: 1, modelCalls: 1, toolCalls: 1), now: .zero, into: &effects)

        let leafSnapshot = try #require(machine.snapshot(of: leaf, now: .zero))
        #expect(leafSnapshot.usage == TaskUsage(inputTokens: 100, outputTokens: 20, modelCalls: 1, toolCalls: 2))
        #expect(leafSnapshot.childrenUsage.isZero)
        let middleSnapshot = try #require(machine.snapshot(of: middle, now: .zero))
        #expect(middleSnapshot.usage == TaskUsage(inputTokens: 5, outputTokens: 1, modelCalls: 1, toolCalls: 1))
        #expect(middleSnapshot.childrenUsage == leafSnapshot.usage)
        let topSnapshot = try #require(machine.snapshot(of: top, now: .zero))
        #expect(topSnapshot.usage.isZero)
        #expect(topSnapshot.childrenUsage == middleSnapshot.totalUsage)
        #expect(topSnapshot.totalUsage == TaskUsage(inputTokens: 105, outputTokens: 21, modelCalls: 2, toolCalls: 3))
        #expect(try #require(machine.snapshot(of: sibling, now: .zero)).totalUsage.isZero)

        // A task that has ended counts nothing more.
        _ = machine.bodyEnded(sibling, outcome: .returned("done"), now: .seconds(1))
        effects = []
        machine.recordUsage(sibling, TaskUsage(modelCalls: 1), now: .seconds(1), into: &effects)
        #expect(effects.isEmpty)
        #expect(try #require(machine.snapshot(of: sibling, now: .zero)).usage.isZero)
    }

    @Test("an agent's model turns and tool calls are counted, and a foreground sub-agent's usage rolls up into its parent's")
    func agentsCountTheirUsage() async throws {
        let model = ClosureModel { agent, turn, _ in
            switch (agent, turn) {
            case ("outer", 0):
                [.call("emit", ["tag": "a"]), .call("emit", ["tag": "b"]),
                 .call("agent", ["name": "inner", "prompt": "p", "background": false]),
                 .endOfTurn(Usage(inputTokens: 100, outputTokens: 10))]
            case ("outer", _): [.textDelta("outer done"), .endOfTurn(Usage(inputTokens: 200, outputTokens: 20))]
            case ("inner", 0): [.call("emit", ["tag": "c"]), .endOfTurn(Usage(inputTokens: 7, outputTokens: 3))]
            default: [.textDelta("inner done"), .endOfTurn(Usage(inputTokens: 9, outputTokens: 1))]
            }
        }
        let runtime = makeRuntime(model: model, tools: [EmitTool()])
        let events = runtime.events.subscribe()
        let outer = try await runtime.startBackgroundAgent(name: "outer", prompt: "go", spawner: .topLevel)
        var finished: [TaskID: TaskSnapshot] = [:]
        for await event in events {
            if case .task(.finished(let snapshot)) = event { finished[snapshot.id] = snapshot }
            if finished[outer] != nil { break }
        }
        let outerSnapshot = try #require(finished[outer])
        let innerSnapshot = try #require(finished.values.first { $0.name == "inner" })
        #expect(innerSnapshot.usage == TaskUsage(inputTokens: 16, outputTokens: 4, modelCalls: 2, toolCalls: 1))
        #expect(outerSnapshot.usage == TaskUsage(inputTokens: 300, outputTokens: 30, modelCalls: 2, toolCalls: 3))
        #expect(outerSnapshot.childrenUsage == innerSnapshot.usage)
        #expect(outerSnapshot.totalUsage.tokens == 350)
    }

    @Test("a snapshot's usage is written to the log and reads back; a record without it reads as zero")
    func logged() throws {
        let snapshot = TaskSnapshot(
            id: TaskID(4), name: "explore", kind: .agent, description: "d", spawner: .task(TaskID(1)), mode: .background,
            status: .completed(summary: "ok"), cancelRequested: nil, startedAt: .zero, endedAt: .seconds(2),
            startDate: Date(timeIntervalSince1970: 1_763_740_800), age: .seconds(2), trail: [],
            usage: TaskUsage(inputTokens: 1200, outputTokens: 80, modelCalls: 3, toolCalls: 7),
            childrenUsage: TaskUsage(inputTokens: 10, outputTokens: 2, modelCalls: 1, toolCalls: 0)
        )
        let data = try JSONEncoder().encode(snapshot)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#""children_usage":{"#))
        #expect(text.contains(#""tool_calls":7"#))
        #expect(try JSONDecoder().decode(TaskSnapshot.self, from: data) == snapshot)

        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        object["usage"] = nil
        object["children_usage"] = nil
        let old = try JSONDecoder().decode(TaskSnapshot.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(old.totalUsage.isZero)
    }
}
