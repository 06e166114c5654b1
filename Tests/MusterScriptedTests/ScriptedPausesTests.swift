import Foundation
import Testing
@testable import MusterScripted

@Suite("The scripted model's pauses on one timer", .timeLimit(.minutes(1)))
struct ScriptedPausesTests {
    @Test("pauses end in deadline order, each no earlier than its own deadline, whatever order they began in")
    func order() async throws {
        let pauses = ScriptedPauses()
        let start = ContinuousClock.now
        let ended = try await withThrowingTaskGroup(of: (Int, Duration).self) { group in
            for milliseconds in [60, 20, 40, 0] {
                group.addTask {
                    try await pauses.pause(for: .milliseconds(milliseconds))
                    return (milliseconds, ContinuousClock.now - start)
                }
            }
            var ended: [(Int, Duration)] = []
            for try await result in group { ended.append(result) }
            return ended
        }
        #expect(ended.map(\.0) == [0, 20, 40, 60])
        for (milliseconds, elapsed) in ended { #expect(elapsed >= .milliseconds(milliseconds)) }
    }

    @Test("cancelling a paused task ends its pause at once with CancellationError; the others go on")
    func cancel() async throws {
        let pauses = ScriptedPauses()
        let long = Task { try await pauses.pause(for: .seconds(3600)) }
        let short = Task { try await pauses.pause(for: .milliseconds(30)) }
        // Whether the cancel comes before or after the pause is registered, it ends it.
        let start = ContinuousClock.now
        long.cancel()
        await #expect(throws: CancellationError.self) { try await long.value }
        #expect(ContinuousClock.now - start < .seconds(5))
        try await short.value
    }

    @Test("a task cancelled before it pauses does not pause")
    func cancelledFirst() async throws {
        let pauses = ScriptedPauses()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await pauses.pause(for: .seconds(3600))
        }
        await #expect(throws: CancellationError.self) { try await task.value }
    }
}
