/// Waiting on state outside this process that sends no event a caller could await: a process
/// ending in the kernel, output in a pipe, a tmux screen. It is asked at a fixed interval up to a
/// deadline (platform.md's advice for it); this is the one place such polling lives.
public enum OutsideState {
    /// Asks `probe` every `interval` until it answers (non-nil) or `timeout` passes (nil then).
    public static func poll<Value>(
        every interval: Duration = .milliseconds(20), timeout: Duration, _ probe: () async throws -> Value?
    ) async throws -> Value? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let value = try await probe() { return value }
            guard ContinuousClock.now < deadline else { return nil }
            try await Task.sleep(for: interval)
        }
    }

    /// Asks `condition` every `interval` until it holds (true) or `timeout` passes (false).
    public static func poll(
        every interval: Duration = .milliseconds(20), timeout: Duration, until condition: () async throws -> Bool
    ) async throws -> Bool {
        try await poll(every: interval, timeout: timeout) { try await condition() ? true : nil } ?? false
    }
}
