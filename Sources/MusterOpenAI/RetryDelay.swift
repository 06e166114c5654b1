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
        if let text = headers.first(name: "retry-after-ms"), let milliseconds = Double(text), milliseconds >= 0 {
            return .milliseconds(milliseconds)
        }
        if let text = headers.first(name: "retry-after"), let seconds = Double(text), seconds >= 0 {
            return .milliseconds(seconds * 1000)
        }
        return nil
    }
}
