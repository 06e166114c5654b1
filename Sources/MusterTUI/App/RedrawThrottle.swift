/// Coalesces redraw requests: at most one frame per interval, however many events arrive.
///
/// A pure state machine over instants; the app turns its answers into one timer.
public struct RedrawThrottle: Sendable {
    /// What to do with a request.
    public enum Decision: Equatable, Sendable {
        /// Arm the timer to draw at this instant.
        case schedule(at: ContinuousClock.Instant)
        /// A draw is already scheduled: it will show this change too.
        case alreadyScheduled
    }

    /// Shortest time between two frames (33 ms: about 30 frames per second).
    public let interval: Duration
    public private(set) var lastDraw: ContinuousClock.Instant?
    public private(set) var isScheduled = false

    /// A throttle allowing one frame per `interval`.
    public init(interval: Duration = .milliseconds(33)) {
        self.interval = interval
    }

    /// Something changed at `now`: when should the next frame be drawn?
    public mutating func request(now: ContinuousClock.Instant) -> Decision {
        if isScheduled { return .alreadyScheduled }
        isScheduled = true
        guard let lastDraw else { return .schedule(at: now) }
        return .schedule(at: max(now, lastDraw.advanced(by: interval)))
    }

    /// A frame was drawn at `now` (scheduled or not).
    public mutating func didDraw(at now: ContinuousClock.Instant) {
        lastDraw = now
        isScheduled = false
    }
}
