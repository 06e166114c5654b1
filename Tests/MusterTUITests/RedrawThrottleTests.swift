import MusterTUI
import Testing

@Suite("Coalesced redraws")
struct RedrawThrottleTests {
    @Test("the first change draws at once; changes during the wait join the scheduled frame")
    func coalesces() {
        var throttle = RedrawThrottle(interval: .milliseconds(33))
        let start = ContinuousClock.now
        do { let result = throttle.request(now: start); #expect(result == .schedule(at: start)) }
        do { let result = throttle.request(now: start.advanced(by: .milliseconds(1))); #expect(result == .alreadyScheduled) }
        throttle.didDraw(at: start)
        let soon = start.advanced(by: .milliseconds(5))
        do { let result = throttle.request(now: soon); #expect(result == .schedule(at: start.advanced(by: .milliseconds(33)))) }
    }

    @Test("a flood of 100,000 changes in one second gives at most about 30 frames")
    func flood() {
        var throttle = RedrawThrottle(interval: .milliseconds(33))
        let start = ContinuousClock.now
        var scheduledAt: ContinuousClock.Instant?
        var frames = 0
        for step in 0..<100_000 {
            let now = start.advanced(by: .microseconds(step * 10))
            // The timer fires when its deadline has passed.
            if let deadline = scheduledAt, deadline <= now {
                throttle.didDraw(at: now)
                frames += 1
                scheduledAt = nil
            }
            if case .schedule(let at) = throttle.request(now: now) { scheduledAt = at }
        }
        #expect(frames >= 25)
        #expect(frames <= 31)
    }
}
