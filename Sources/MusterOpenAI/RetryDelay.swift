import NIOHTTP1

/// How long to wait before the next try: the server's `retry-after-ms` / `Retry-After` (in seconds) when
/// it sends one, otherwise exponential backoff from `initial` (1 s, 2 s, 4 s, ...).
enum RetryDelay {
    static func before(attempt nextAttempt: Int, headers: HTTPHeaders?, initial: Duration) -> Duration {
        if let requested = headers.flatMap(serverRequested) { return requested }
        return initial * (1 << min(max(nextAttempt - 2, 0), 16))
    }

    /// The delay the server asked for, if it sent one we can read (an HTTP date in `Retry-After` is ignored).
    static func serverRequested(_ headers: HTTPHeaders) -> Duration? {
        if let text = headers.first(name: "retry-after-ms"), let milliseconds = Double(text) {
            return clamped(seconds: milliseconds / 1000)
        }
        if let text = headers.first(name: "retry-after"), let seconds = Double(text) {
            return clamped(seconds: seconds)
        }
        return nil
    }

    /// A day at most (anything that long fails the turn anyway), so absurd values such as `1e300` or `inf`
    /// cannot overflow `Duration`; negative and NaN values are ignored.
    private static func clamped(seconds: Double) -> Duration? {
        guard seconds >= 0 else { return nil }
        return .milliseconds(min(seconds, 86_400) * 1000)
    }
}
