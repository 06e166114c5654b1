import Foundation
import MusterCore
import MusterHeadless
import MusterTestSupport
import Testing

/// The session log beside a stream-json output (the headless front end's sink).
@Suite("Session log beside stream-json")
struct StreamJSONSinkLogTests {
    @Test("text deltas go to live sinks only; both outputs share numbering")
    func textDeltasOnlyInStreams() async throws {
        let directory = try HeadlessFixtures.temporaryDirectory()
        let url = directory.appendingPathComponent("session.jsonl")
        let captured = CapturedOutput()
        let session = HeadlessFixtures.session(model: HeadlessTestModel { _ in HeadlessTestModel.say("Hello world.") })
        let recorder = SessionRecorder.start(
            session: session, log: .file(url), metadata: HeadlessFixtures.metadata,
            extraSinks: [StreamJSONSink(output: captured)]
        )
        await session.start()
        await session.send(.prompt("hi"))
        await session.waitUntilIdle()
        await recorder.finish(ending: .quit)

        let logged = try HeadlessFixtures.records(in: url)
        let streamed = try captured.standardOutput.split(separator: "\n").map { try SessionRecord.parse($0) }
        #expect(!logged.contains { $0.event.type == "text_delta" })
        #expect(streamed.filter { $0.event.type == "text_delta" }.count == 2)
        #expect(streamed.map(\.sequence) == Array(1...streamed.count))
        #expect(streamed.filter { $0.event.type != "text_delta" } == logged)
        #expect(logged.contains { $0.event == .assistantMessage(agent: .main, text: "Hello world.") })
    }

    @Test("a log that cannot be opened is reported once and the session goes on")
    func unopenableLog() async throws {
        let directory = try HeadlessFixtures.temporaryDirectory()
        let blocker = directory.appendingPathComponent("file")
        try Data("x".utf8).write(to: blocker)
        let session = HeadlessFixtures.session(model: HeadlessTestModel { _ in HeadlessTestModel.say("Still here.") })
        let captured = CapturedOutput()
        let recorder = SessionRecorder.start(
            session: session, log: .file(blocker.appendingPathComponent("sub/log.jsonl")), metadata: HeadlessFixtures.metadata,
            extraSinks: [StreamJSONSink(output: captured)]
        )
        #expect(recorder.logFile == nil)
        let failure = try #require(recorder.logFailure)
        #expect(failure.contains("Cannot create the session log directory \(blocker.path)/sub"))
        #expect(recorder.startupNotices == [failure])

        await session.start()
        await session.send(.prompt("hi"))
        await session.waitUntilIdle()
        let tally = await recorder.finish(ending: .quit)
        #expect(tally.lastAnswer == "Still here.")
        // The other outputs still get everything, the failure included, once.
        let streamed = try captured.standardOutput.split(separator: "\n").map { try SessionRecord.parse($0) }
        #expect(streamed.filter { $0.event == .warning(failure) }.count == 1)
        #expect(streamed.last?.event.type == "session_end")
    }
}
