import Foundation
@testable import MusterCore
import Synchronization
import Testing

/// An agent stopped while its model streams: what the turn had streamed is not an answer,
/// even from a model whose stream just ends (no error) when its call is cancelled.
@Suite("An agent stopped mid-stream", .timeLimit(.minutes(1)))
struct AgentStopTests {
    /// Streams "a", then waits an hour before "b"; cancelled meanwhile, its stream ends with no
    /// error, as a cut connection's byte stream may.
    struct QuietlyCutModel: LanguageModel {
        func streamTurn(_ request: ModelRequest) -> AsyncThrowingStream<ModelEvent, any Error> {
            let position = Position()
            return AsyncThrowingStream(unfolding: {
                switch position.advance() {
                case 0: return .textDelta("a")
                case 1:
                    do { try await Task.sleep(for: .seconds(3600)) } catch { return nil }
                    return .textDelta("b")
                case 2: return .endOfTurn(Usage(inputTokens: 1, outputTokens: 1))
                default: return nil
                }
            })
        }
    }

    final class Position: Sendable {
        private let value = Atomic(0)
        func advance() -> Int { value.add(1, ordering: .relaxed).oldValue }
    }

    @Test("a stopped agent whose model's stream ends quietly publishes no answer, counts no call and keeps no partial answer")
    func stopWhileStreaming() async throws {
        let runtime = makeRuntime(model: QuietlyCutModel(), tools: [])
        let registry = runtime.registry
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
                #expect(answers.isEmpty)
                #expect(usages == 0)
                #expect(runtime.modelCalls.total == 0)
                #expect(!conversation.contains { if case .assistant = $0 { true } else { false } })
                #expect(await registry.transcript(of: id)?.lines.contains("a") == false)
                _ = await registry.shutdown(grace: .seconds(1))
                return
            default: continue
            }
        }
        Issue.record("the task never finished")
    }
}
