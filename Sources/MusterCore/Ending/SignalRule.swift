/// The "second stop signal means now" rule as a pure state machine: no signals, no queues.
///
/// libdispatch merges signals that arrive before the handler runs into one event with a count;
/// a merged pair is two deliveries, so a double SIGTERM still means "now". More than two add
/// nothing: the second is already "now".
public struct SignalRule: Sendable, Equatable {
    /// The signals that end the run (SIGINT, SIGTERM, SIGHUP, or some of them).
    public let stopSignals: Set<Int32>
    /// True once a stop signal arrived.
    public private(set) var isStopping = false

    public init(stopSignals: Set<Int32>) {
        self.stopSignals = stopSignals
    }

    /// What `count` merged deliveries of signal `number` mean, in order.
    public mutating func receive(_ number: Int32, count: UInt = 1) -> [SignalEvent] {
        let deliveries = min(max(Int(count), 1), 2)
        return (0..<deliveries).map { _ in
            guard stopSignals.contains(number), let ending = RunEnding(signal: number) else { return .signal(number) }
            defer { isStopping = true }
            return isStopping ? .stopNow(ending) : .stop(ending)
        }
    }
}
