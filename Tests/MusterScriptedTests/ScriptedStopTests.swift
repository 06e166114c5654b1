import Foundation
@testable import MusterCore
@testable import MusterScripted
import Testing

/// A background agent stopped in the middle of a scripted step: what it had streamed is not an answer.
@Suite("A scripted step stopped mid-stream", .timeLimit(.minutes(1)))
struct ScriptedStopTests {
    /// "a" at once, then an hour before "b".
    static let hourLong = #"{"version": 1, "agents": {"worker": {"scenarios": [{"name": "slow", "turns": [{"say": "ab", "chunk_chars": 1, "chunk_delay_ms": 3600000}]}]}}}"#

    @Test("an agent stopped after its step's first chunk publishes no answer, records no call, transcribes nothing and keeps no partial answer in its conversation")
    func stopMidStream() async throws {
        let model = ScriptedModel(script: try ScriptLoader.load(text: Self.hourLong), clock: ContinuousClock())
        let registry = TaskRegistry()
        let runtime = AgentRuntime(registry: registry, model: model, tools: [], workspace: URL(fileURLWithPath: NSTemporaryDirectory()))
        let events = runtime.events.subscribe()
        var iterator = events.makeAsyncIterator()
        let id = try await runtime.startBackgroundAgent(name: "worker", prompt: "work", spawner: .topLevel)
        while let event = await iterator.next() {
            if case .textDelta(let agent, "a") = event, agent.taskID == id { break }
        }
        await registry.cancel(id)

        var answers: [String] = []
        var usages = 0
        var conversation: [ChatMessage] = []
        while let event = await iterator.next() {
            switch event {
            case .assistantMessage(let agent, let text) where agent.taskID == id: answers.append(text)
            case .modelUsage(let agent, _) where agent.taskID == id: usages += 1
            case .conversation(let record) where record.agent.taskID == id:
                conversation = Array(conversation.prefix(record.from)) + record.messages
            case .task(.finished(let task)) where task.id == id:
                #expect(task.status == .cancelled(by: .user))
                #expect(task.usage.modelCalls == 0)
                #expect(answers.isEmpty)
                #expect(usages == 0)
                #expect(runtime.modelCalls.total == 0)
                #expect(!conversation.contains { if case .assistant = $0 { true } else { false } })
                let transcript = await registry.transcript(of: id)
                #expect(transcript?.lines.contains("a") == false)
                #expect(model.pauses?.pendingCount == 0)
                _ = await registry.shutdown(grace: .seconds(1))
                return
            default: continue
            }
        }
        Issue.record("the task never finished")
    }
}
