/// What one delivery of a watched signal means, as `SignalRule` decides it.
public enum SignalEvent: Sendable, Equatable {
    /// The first stop signal: cancel everything, write the log, then end this way.
    case stop(RunEnding)
    /// A stop signal after the first (or merged with it): end this way at once.
    case stopNow(RunEnding)
    /// A signal the front end handles itself (SIGINT at an interactive prompt, SIGWINCH).
    case signal(Int32)
}
