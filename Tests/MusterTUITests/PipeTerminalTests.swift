import Foundation
@testable import MusterTUI
import MusterCore
import Testing

/// The real app loop (read source, key decoding, session, drawing) on an in-memory terminal.
@Suite("The app on a PipeTerminal")
@MainActor
struct PipeTerminalTests {
    /// Answers every turn with one line.
    private struct EchoModel: LanguageModel {
        func streamTurn(_ request: ModelRequest) -> AsyncThrowingStream<ModelEvent, any Error> {
            AsyncThrowingStream { continuation in
                continuation.yield(.textDelta("Echo: \(request.latestUserMessage ?? "")"))
                continuation.yield(.endOfTurn(Usage(inputTokens: 1, outputTokens: 1)))
                continuation.finish()
            }
        }
    }

    /// Resumes when a presented frame contains a text.
    private final class Watcher {
        var wanted: String?
        var waiter: CheckedContinuation<Void, Never>?

        func presented(_ frame: Frame) {
            guard let wanted, frame.text.contains(wanted) else { return }
            self.wanted = nil
            waiter?.resume()
            waiter = nil
        }

        func until(_ text: String, typing: String, into terminal: PipeTerminal) async {
            await withCheckedContinuation { continuation in
                wanted = text
                waiter = continuation
                terminal.type(typing)
            }
        }
    }

    @Test("typed text reaches the session through the pipe, its answer the screen; /quit ends the app")
    func typesAndQuits() async throws {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("muster-pipe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let runtime = AgentRuntime(registry: TaskRegistry(), model: EchoModel(), tools: [], workspace: directory)
        let session = Session(runtime: runtime)
        let terminal = try PipeTerminal(size: ScreenSize(rows: 20, columns: 80))
        let watcher = Watcher()
        terminal.onPresent = { frame, _ in watcher.presented(frame) }
        let options = FrontEndOptions(
            historyFile: directory.appendingPathComponent("history"), environment: ["TERM": "xterm", "HOME": directory.path]
        )
        let app = Task { @MainActor in await FrontEnd.runInteractive(session: session, terminal: terminal, options: options) }
        await watcher.until("Echo: hé", typing: "hé\r", into: terminal)
        terminal.type("/quit\r")
        #expect(await app.value == .quit)
        #expect(terminal.farewellText != nil)
    }

    @Test("a sub-agent's streamed text and progress never reach the app's event loop; the main agent's do")
    func filtersSubAgentStreams() {
        let main = AgentRef(name: "main", taskID: nil)
        let sub = AgentRef(name: "worker", taskID: TaskID(7))
        #expect(InteractiveApp.shows(.textDelta(agent: main, text: "hi")))
        #expect(InteractiveApp.shows(.toolProgress(agent: main, callID: "c1", line: "line")))
        #expect(!InteractiveApp.shows(.textDelta(agent: sub, text: "hi")))
        #expect(!InteractiveApp.shows(.toolProgress(agent: sub, callID: "c1", line: "line")))
        #expect(InteractiveApp.shows(.assistantMessage(agent: sub, text: "done")))
    }

    @Test("a command and its reply come on their own feed, ahead of a backlog of background events, and say they wait")
    func repliesSkipTheBacklog() async {
        let hub = SessionEventHub(coalescingKey: SessionEvent.coalescingKey)
        let feeds = EventFeeds(hub)
        for index in 0..<1_000 { hub.publish(.warning("background \(index)")) }
        #expect(!feeds.replyWaiting)
        hub.publish(.slashCommand(command: "/tasks stop #3"))
        hub.publish(.reply(.nothingRunning))
        hub.publish(.conversation(ConversationRecord(agent: .main, from: 0, messages: [])))
        #expect(feeds.replyWaiting)
        #expect(await feeds.replies.next() == .slashCommand(command: "/tasks stop #3"))
        feeds.replyTaken()
        #expect(feeds.replyWaiting)
        #expect(await feeds.replies.next() == .reply(.nothingRunning))
        feeds.replyTaken()
        #expect(!feeds.replyWaiting)
        // The background feed has everything else the screen shows, in order, and no reply.
        hub.finish()
        var background: [SessionEvent] = []
        for await event in feeds.background { background.append(event) }
        #expect(background == (0..<1_000).map { .warning("background \($0)") })
        #expect(await feeds.replies.next() == nil)
    }
}
