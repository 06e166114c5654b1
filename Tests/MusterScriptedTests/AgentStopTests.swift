import Foundation
@testable import MusterCore
@testable import MusterScripted
import Synchronization
import Testing

/// An agent stopped while its model streams: what the turn had streamed is not an answer, from
/// a scripted step (its feed ends with `CancellationError`) or from a model whose stream just
/// ends (no error) when its call is cancelled.
@Suite("An agent stopped mid-stream", .timeLimit(.minutes(1)))
struct AgentStopTests {
    /// "a" at once, then an hour before "b".
    static let hourLong = #"{"version": 1, "agents": {"worker": {"scenarios": [{"name": "slow", "turns": [{"say": "ab", "chunk_chars": 1, "chunk_delay_ms": 3600000}]}]}}}"#

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

    /// Starts a background agent "worker" on `model`, stops it once it has streamed "a", and
    /// checks what it left when its task finished.
    func stopAfterFirstChunk(of model: any LanguageModel) async throws {
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
                #expect(await registry.transcript(of: id)?.lines.contains("a") == false)
                _ = await registry.shutdown(grace: .seconds(1))
                return
            default: continue
            }
        }
        Issue.record("the task never finished")
    }

    @Test("an agent stopped after its scripted step's first chunk publishes no answer, records no call, transcribes nothing, keeps no partial answer and leaves no pause")
    func scriptedStep() async throws {
        let model = ScriptedModel(script: try ScriptLoader.load(text: Self.hourLong), clock: ContinuousClock())
        try await stopAfterFirstChunk(of: model)
        #expect(model.pauses?.pendingCount == 0)
    }

    @Test("a stopped agent whose model's stream ends quietly publishes no answer, counts no call and keeps no partial answer")
    func quietlyCutStream() async throws {
        try await stopAfterFirstChunk(of: QuietlyCutModel())
    }
}
