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

    /// Short human form: `850ms`, `3.2s`, `4m05s`, `1h02m`.
    public var humanReadable: String {
        let total = seconds
        if total < 1 { return "\(Int((total * 1000).rounded()))ms" }
        if total < 60 { return String(format: "%.1fs", total) }
        let whole = Int(total)
        if whole < 3600 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
        return String(format: "%dh%02dm", whole / 3600, (whole % 3600) / 60)
    }
}
