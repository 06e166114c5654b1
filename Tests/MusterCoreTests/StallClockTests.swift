import Clocks
@testable import MusterCore
import MusterPresentation
import Testing

/// The stall clock, on the injected clock: a running task silent for 30 s says so and sorts first.
@Suite("Stall clock")
struct StallClockTests {
    @Test("a running task with no event for 30 s shows `silent 45s` in ACTIVITY and in /tasks show, and sorts before the running ones")
    func silent() async throws {
        let fixture = CommandsFixture()
        let processor = CommandProcessor(registry: fixture.registry)
        let busy = try await fixture.startRunning("busy")
        let quiet = try await fixture.startRunning("quiet")
        await fixture.registry.report(busy.id, step: 1, activity: "thinking")
        await fixture.registry.report(quiet.id, step: 1, activity: "shell: sleep 100")
        await fixture.clock.advance(by: .seconds(29))
        #expect(try #require(await fixture.registry.snapshot(of: quiet.id)).silence == nil, "29 s is not yet a stall")
        await fixture.registry.report(busy.id, step: 2, activity: "thinking")
        await fixture.clock.advance(by: .seconds(16))

        let table = ReplyFormatter.lines(for: await processor.run("/tasks"))
        #expect(table.count == 3)
        #expect(table[1].text.hasPrefix("#2  quiet"))
        #expect(table[1].text.hasSuffix("silent 45s"))
        #expect(table[1].style == .warning)
        #expect(table[2].text.hasPrefix("#1  busy"))
        #expect(table[2].text.hasSuffix("step 2 · thinking"))

        let detail = ReplyFormatter.lines(for: await processor.run("/tasks show 2")).map(\.text)
        #expect(detail.last == "Now: step 1 · shell: sleep 100 (silent 45s)")

        // Any event ends the silence.
        await fixture.registry.recordUsage(quiet.id, TaskUsage(modelCalls: 1))
        #expect(try #require(await fixture.registry.snapshot(of: quiet.id)).silence == nil)
    }
}
