import Foundation
import MusterCore
import MusterTestSupport
import Testing
@testable import MusterOpenAI

@Suite("OpenAI model in a real session")
struct OpenAISessionTests {
    @Test("a background sub-agent runs on the OpenAI model, its result is answered (by a turn of its own when it comes after the first), and the key never reaches the session log", .timeLimit(.minutes(2)))
    func backgroundSubAgentAndLogWithoutKey() async throws {
        // Responses are served in request order, whichever agent asks: after the launch, every
        // answer is plain text, so the main agent's and the sub-agent's turns may interleave freely.
        let script: [FakeOpenAIServer.Response] = [
            .stream([
                SSE.text("Starting a helper."),
                SSE.toolCall(index: 0, id: "call_bg", name: "agent", arguments: #"{"name": "helper", "prompt": "count files", "background": true}"#),
                SSE.finish("tool_calls"), SSE.done,
            ]),
            .stream([SSE.text("text one"), SSE.finish("stop"), SSE.done]),
            .stream([SSE.text("text two"), SSE.finish("stop"), SSE.done]),
            .stream([SSE.text("The helper is back."), SSE.finish("stop"), SSE.done]),
        ]
        let logFile = FileManager.default.temporaryDirectory.appendingPathComponent("muster-openai-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: logFile) }

        try await FakeOpenAIServer.with(script) { server in
            try await withModel(server) { model in
                let registry = TaskRegistry()
                let runtime = AgentRuntime(
                    registry: registry, model: model, tools: BuiltInTools.all(),
                    workspace: FileManager.default.temporaryDirectory
                )
                let session = Session(runtime: runtime)
                let recorder = SessionRecorder.start(
                    session: session, log: .file(logFile),
                    metadata: SessionMetadata(mode: .headless, workspace: "/tmp", model: "test-model"),
                    environment: [:]
                )
                let events = session.events.subscribe()
                await session.start()
                await session.send(.prompt("Please look around"))

                var launch: ToolOutput?
                var helperStatus: TaskStatus?
                var helperEndedInFirstTurn = false
                var triggers: [Int: TurnTrigger] = [:]
                var endings: [Int: MusterCore.TurnOutcome] = [:]
                // The helper's result is answered by the turn running when it arrives, or by a turn
                // it starts: which one depends on whose request the server answers first.
                var answeringTurn: Int?
                for await event in events {
                    switch event {
                    case .toolEnd(_, "call_bg", _, let output): launch = output
                    case .task(.finished(let snapshot)) where snapshot.name == "helper":
                        helperStatus = snapshot.status
                        helperEndedInFirstTurn = endings[1] == nil
                    case .turnStart(let turn, let trigger): triggers[turn] = trigger
                    case .turnEnd(let turn, let outcome):
                        endings[turn] = outcome
                        if case .completed(let text) = outcome, text.contains("The helper is back.") { answeringTurn = turn }
                    default: break
                    }
                    if answeringTurn != nil { break }
                }
                #expect(launch?.content.hasPrefix("Background agent \"helper\" started (task #1)") == true)
                if case .completed? = helperStatus {} else { Issue.record("helper did not complete: \(String(describing: helperStatus))") }
                switch answeringTurn {
                case 1 where helperEndedInFirstTurn:
                    break
                case 2:
                    #expect(triggers[2] == .backgroundResults, "the result started a turn of its own")
                default:
                    Issue.record("the results turn did not complete: \(endings)")
                }

                _ = await session.shutdown()
                _ = await recorder.finish(ending: .quit)
            }
        }
        let log = try String(contentsOf: logFile, encoding: .utf8)
        #expect(log.contains("\"task_finished\""))
        #expect(log.contains("helper"))
        #expect(!log.contains(testKey))
    }
}
