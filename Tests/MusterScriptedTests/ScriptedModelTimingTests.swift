import Clocks
import Foundation
import Synchronization
import Testing
import MusterCore
@testable import MusterScripted

/// Consumes a stream in its own task and forwards each event, so a test can watch the
/// consumer's progress and cancel it at a chosen moment.
struct WatchedConsumer {
    let events: AsyncStream<ModelEvent>
    let task: Task<[ModelEvent], any Error>
    private let log = ScriptEventLog()

    /// The events received so far, without waiting.
    var receivedSoFar: [ModelEvent] { log.events.withLock { $0 } }

    init(_ stream: AsyncThrowingStream<ModelEvent, any Error>) {
        let (events, continuation) = AsyncStream<ModelEvent>.makeStream(bufferingPolicy: .unbounded)
        self.events = events
        let log = self.log
        task = Task {
            defer { continuation.finish() }
            var received: [ModelEvent] = []
            var iterator = stream.makeAsyncIterator()
            do {
                while let event = try await iterator.next() {
                    received.append(event)
                    log.events.withLock { $0.append(event) }
                    continuation.yield(event)
                }
            } catch {
                // After the error the stream must be over: no event may follow.
                if let late = try? await iterator.next() { Issue.record("an event followed the error: \(late)") }
                throw WatchedConsumerError(underlying: error, received: received)
            }
            return received
        }
    }
}

/// Events seen by a consumer task, readable from the test (a Mutex guards them).
final class ScriptEventLog: Sendable {
    let events = Mutex<[ModelEvent]>([])
}

/// What a watched consumer saw before its stream threw.
struct WatchedConsumerError: Error {
    let underlying: any Error
    let received: [ModelEvent]
}

/// Waits until something sleeps on `clock`: TestClock has no signal for it, so this polls its
/// suspension list, yielding between looks. Advancing the clock before the sleep is registered
/// would move the sleep's deadline, so tests must not give up early; the suite's time limit
/// bounds the wait instead. Returns false only when the test was cancelled.
func waitUntilSleeping(_ clock: TestClock<Duration>) async -> Bool {
    while !Task.isCancelled {
        do { try await clock.checkSuspension() } catch is SuspensionError { return true } catch { return false }
        await Task.yield()
    }
    return false
}

@Suite("Scripted model timing: pauses run on the injected clock, and cancelling stops the stream at once",
       .timeLimit(.minutes(1)))
struct ScriptedModelTimingTests {
    static let slowTurn = scriptWithTurns(#"[{"wait_ms": 500, "say": "abcdefghij", "chunk_chars": 5, "chunk_delay_ms": 1000, "tools": [{"tool": "list_tasks"}]}]"#)

    @Test("nothing streams until the clock has passed wait_ms, then chunks follow chunk_delay_ms apart")
    func honoursPauses() async throws {
        let clock = TestClock()
        let model = ScriptedModel(script: try ScriptLoader.load(text: Self.slowTurn), clock: clock)
        let consumer = WatchedConsumer(model.streamTurn(ModelRequest(agentName: "main", messages: [.user("x")], tools: [])))
        var events = consumer.events.makeAsyncIterator()

        #expect(await waitUntilSleeping(clock))
        await clock.advance(by: .milliseconds(499))
        #expect(await waitUntilSleeping(clock))
        #expect(consumer.receivedSoFar.isEmpty, "the first chunk came before wait_ms had passed")
        await clock.advance(by: .milliseconds(1))
        #expect(await events.next() == .textDelta("abcde"))

        #expect(await waitUntilSleeping(clock))
        await clock.advance(by: .milliseconds(999))
        #expect(await waitUntilSleeping(clock))
        #expect(consumer.receivedSoFar == [.textDelta("abcde")], "the second chunk came before chunk_delay_ms had passed")
        await clock.advance(by: .milliseconds(1))
        #expect(await events.next() == .textDelta("fghij"))
        guard case .toolCall(let call) = await events.next() else { Issue.record("expected the tool call"); return }
        #expect(call.name == "list_tasks")
        guard case .endOfTurn = await events.next() else { Issue.record("expected the end of the turn"); return }
        #expect(await events.next() == nil)
        #expect(try await consumer.task.value.count == 4)
    }

    @Test("cancelling the consumer during a pause ends the stream with CancellationError and no further events")
    func cancellationDuringPause() async throws {
        let clock = TestClock()
        let model = ScriptedModel(script: try ScriptLoader.load(text: Self.slowTurn), clock: clock)
        let consumer = WatchedConsumer(model.streamTurn(ModelRequest(agentName: "main", messages: [.user("x")], tools: [])))
        var events = consumer.events.makeAsyncIterator()

        #expect(await waitUntilSleeping(clock))  // the 500 ms wait before the first chunk
        await clock.advance(by: .milliseconds(500))
        #expect(await events.next() == .textDelta("abcde"))
        #expect(await waitUntilSleeping(clock))  // now inside the 1000 ms chunk pause

        consumer.task.cancel()
        do {
            let all = try await consumer.task.value
            Issue.record("the stream finished normally after cancellation: \(all)")
        } catch let error as WatchedConsumerError {
            #expect(error.underlying is CancellationError)
            #expect(error.received == [.textDelta("abcde")])
        }
        #expect(await events.next() == nil)
        // The pending sleep was withdrawn, and advancing the clock releases nothing more.
        try await clock.checkSuspension()
        await clock.advance(by: .seconds(10))
        #expect(await events.next() == nil)
    }

    @Test("cancelling a consumer on the real clock ends a minute-long pause promptly")
    func cancellationOnContinuousClock() async throws {
        let model = ScriptedModel(script: try ScriptLoader.load(text: scriptWithTurns(#"[{"say": "ab", "chunk_chars": 1, "chunk_delay_ms": 60000}]"#)),
                                  clock: ContinuousClock())
        let consumer = WatchedConsumer(model.streamTurn(ModelRequest(agentName: "main", messages: [.user("x")], tools: [])))
        var events = consumer.events.makeAsyncIterator()
        #expect(await events.next() == .textDelta("a"))
        let start = ContinuousClock.now
        consumer.task.cancel()
        await #expect(throws: WatchedConsumerError.self) { try await consumer.task.value }
        // Far below the minute-long pause, with room for a machine under load.
        #expect(ContinuousClock.now - start < .seconds(30))
        #expect(await events.next() == nil)
    }

    @Test("a consumer cancelled before it starts gets no events at all")
    func cancelledBeforeStart() async throws {
        let model = try scriptedModel(Self.slowTurn)
        let task = Task { () -> [ModelEvent] in
            withUnsafeCurrentTask { $0?.cancel() }
            return try await collectScriptEvents(model.streamTurn(ModelRequest(agentName: "main", messages: [.user("x")], tools: [])))
        }
        // AsyncThrowingStream(unfolding:) may end quietly for an already cancelled consumer, or the
        // model's own check throws; either way nothing is streamed.
        switch await task.result {
        case .success(let events): #expect(events.isEmpty)
        case .failure(let error): #expect(error is CancellationError)
        }
    }

    @Test("on an immediate clock a long scripted turn completes at once")
    func immediateClock() async throws {
        // On a real clock this turn would take over two hours; the suite's time limit is one minute.
        let model = try scriptedModel(scriptWithTurns(#"[{"wait_ms": 3600000, "say": "one hour later", "chunk_chars": 5, "chunk_delay_ms": 3600000}]"#))
        let events = try await playTurn(model, [.user("x")])
        #expect(streamedText(events) == "one hour later")
    }
}
