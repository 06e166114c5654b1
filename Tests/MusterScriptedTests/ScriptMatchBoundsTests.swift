import Foundation
import Testing
@testable import MusterCore
@testable import MusterScripted

/// A 1 MB line on which `(a+)+$` backtracks without end: runs of 40 `a`s, each followed by `!`.
private let catastrophicLine = String(repeating: String(repeating: "a", count: 40) + "!", count: 1_000_000 / 41)

@Suite("Bounded script matching")
struct ScriptMatchBoundsTests {
    @Test("A catastrophic script match stops when its task is cancelled")
    func scriptMatchIsCancellable() async throws {
        let match = Script.Match.regex("(a+)+$")
        let text = String(catastrophicLine.prefix(410))
        let (underway, signal) = AsyncStream.makeStream(of: Void.self)
        let matching = Task {
            match.matches(text, timeLimit: .seconds(3_600), onProgress: { _ in signal.yield() })
        }
        var iterator = underway.makeAsyncIterator()
        _ = await iterator.next()
        let cancelled = ContinuousClock.now
        matching.cancel()
        let matched = await matching.value
        let elapsed = cancelled.duration(to: .now)
        #expect(!matched)
        // Far below the hour-long limit: only the stop can have ended it (slow under the sanitizer).
        #expect(elapsed < .seconds(10), "the match ended \(elapsed) after the cancel")
    }

    @Test("A script match past its time limit does not fit, and an ordinary one still fits ignoring case")
    func scriptMatchTimeLimit() {
        #expect(!Script.Match.regex("(a+)+$").matches(String(catastrophicLine.prefix(410)), timeLimit: .milliseconds(50), onProgress: { _ in }))
        #expect(Script.Match.regex("^(hi|hello)\\b").matches("Hello there"))
    }
}

@Suite("Bounded script matching in the scripted model")
struct ScriptMatchCancellationTests {
    static let script = """
        {"version": 1, "agents": {"main": {"scenarios": [
          {"name": "catastrophic", "match": "/(a+)+$/", "turns": [{"say": "matched"}]},
          {"name": "fallback", "turns": [{"say": "fallback"}]}]}}}
        """

    @Test("A cancelled agent's turn does not wait for a catastrophic scenario match")
    func cancelledTurnSkipsTheMatch() async throws {
        let model = try scriptedModel(Self.script)
        let message = String(catastrophicLine.prefix(4_100))
        let planning = Task {
            // Already cancelled when the model picks a scenario, as after a stop or a SIGTERM.
            withUnsafeCurrentTask { $0?.cancel() }
            let start = ContinuousClock.now
            let steps = try model.plan(for: ModelRequest(agentName: "main", messages: [.user(message)], tools: []))
            return (steps, start.duration(to: .now))
        }
        let (steps, elapsed) = try await planning.value
        #expect(steps.contains { $0.event == .textDelta("fallback") })
        // Without the stop check this match runs for the whole 1 s limit.
        #expect(elapsed < .milliseconds(900), "planning took \(elapsed)")
    }
}
