import Foundation

/// A value guarded by a lock: a pthread mutex of the adaptive kind, which spins briefly before
/// sleeping, because these critical sections are a few instructions long and a futex sleep and
/// wake-up costs far more than the wait (measured by the progress-throughput benchmark).
/// Not `Synchronization.Mutex`: the thread sanitizer understands pthread locks but reports
/// false races through `Mutex` (its futex is invisible to TSan): see the README's "Decisions".
public final class Locked<Value>: @unchecked Sendable {
    // @unchecked: `value` is only ever touched while `mutex` is held. Usable from inlinable
    // code so that other modules inline `withLock` instead of calling it unspecialized.
    // The value lives behind a pointer, not in a stored `var`: an inout access to a class's
    // stored property is checked for exclusivity at run time, on every lock.
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    @usableFromInline let value: UnsafeMutablePointer<Value>

    public init(_ value: Value) {
        self.value = .allocate(capacity: 1)
        self.value.initialize(to: value)
        mutex = .allocate(capacity: 1)
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_ADAPTIVE_NP))
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        value.deinitialize(count: 1)
        value.deallocate()
    }

    /// Runs `body` with exclusive access to the value.
    @inlinable
    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value.pointee)
    }
}
