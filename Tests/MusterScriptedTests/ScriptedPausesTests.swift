import Foundation
import Synchronization
import Testing
@testable import MusterScripted

@Suite("The scripted model's pauses on one timer", .timeLimit(.minutes(1)))
struct ScriptedPausesTests {
    /// Records when its pause ended, and tells whoever waits.
    final class Recorder: ScriptedPauseAction {
        let label: Int
        let ended: AsyncStream<(Int, ContinuousClock.Instant)>.Continuation

        init(_ label: Int, _ ended: AsyncStream<(Int, ContinuousClock.Instant)>.Continuation) {
            self.label = label
            self.ended = ended
        }

        func pauseEnded() { ended.yield((label, .now)) }
    }

    @Test("actions run in deadline order, each no earlier than its own deadline, whatever order they were scheduled in")
    func order() async throws {
        let pauses = ScriptedPauses()
        let (stream, continuation) = AsyncStream<(Int, ContinuousClock.Instant)>.makeStream()
        let start = ContinuousClock.now
        for milliseconds in [60, 20, 40, 0] {
            _ = pauses.schedule(after: .milliseconds(milliseconds), Recorder(milliseconds, continuation))
        }
        var ended: [(Int, Duration)] = []
        for await (label, instant) in stream {
            ended.append((label, instant - start))
            if ended.count == 4 { break }
        }
        #expect(ended.map(\.0) == [0, 20, 40, 60])
        for (milliseconds, elapsed) in ended { #expect(elapsed >= .milliseconds(milliseconds)) }
        #expect(pauses.pendingCount == 0)
    }

    @Test("a cancelled action never runs and leaves the table at once; the others go on")
    func cancel() async throws {
        let pauses = ScriptedPauses()
        let (stream, continuation) = AsyncStream<(Int, ContinuousClock.Instant)>.makeStream()
        let long = pauses.schedule(after: .seconds(3600), Recorder(1, continuation))
        _ = pauses.schedule(after: .milliseconds(30), Recorder(3, continuation))
        #expect(pauses.cancel(long))
        #expect(!pauses.cancel(long))
        #expect(pauses.pendingCount == 1)
        var iterator = stream.makeAsyncIterator()
        #expect(await iterator.next()?.0 == 3)
        #expect(pauses.pendingCount == 0)
    }
}
