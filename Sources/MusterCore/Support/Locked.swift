import Foundation

/// A value guarded by a lock. `NSLock` (a pthread mutex) rather than `Synchronization.Mutex`,
/// because the thread sanitizer understands pthread locks but reports false races through
/// `Mutex` (its futex is invisible to TSan): see the README's "Decisions".
public final class Locked<Value>: @unchecked Sendable {
    // @unchecked: `value` is only ever touched while `lock` is held.
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) {
        self.value = value
    }

    /// Runs `body` with exclusive access to the value.
    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
