/// Elapsed time on an injected clock, measured from the moment the timeline was made.
public struct Timeline: Sendable {
    private let elapsed: @Sendable () -> Duration

    /// Starts a timeline on `clock`; `now` is the time since this call.
    public init<C: Clock>(clock: C) where C.Duration == Duration {
        let origin = clock.now
        elapsed = { origin.duration(to: clock.now) }
    }

    /// Time elapsed since the timeline started.
    public var now: Duration { elapsed() }
}

extension Duration {
    /// Seconds as a Double, for display and JSON.
    public var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }

    /// Short human form: `850ms`, `3.2s`, `4m05s`, `1h02m` (halves round up; negative is `0ms`).
    ///
    /// Integer arithmetic, not `String(format:)`: the `/tasks` table formats one per row.
    public var humanReadable: String {
        let (whole, atto) = components
        guard whole >= 0, atto >= 0 else { return "0ms" }
        let milliseconds = whole * 1000 + (atto + 500_000_000_000_000) / 1_000_000_000_000_000
        if milliseconds < 1000 { return "\(milliseconds)ms" }
        let tenths = (milliseconds + 50) / 100
        if tenths < 600 { return "\(tenths / 10).\(tenths % 10)s" }
        let seconds = (milliseconds + 500) / 1000
        if seconds < 3600 { return "\(seconds / 60)m\(Self.twoDigits(seconds % 60))s" }
        return "\(seconds / 3600)h\(Self.twoDigits((seconds % 3600) / 60))m"
    }

    private static func twoDigits(_ value: Int64) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}
