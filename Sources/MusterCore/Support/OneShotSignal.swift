/// A signal fired once that any number of tasks wait for; a waiter that is cancelled stops
/// waiting at once (unlike a plain continuation), so a task group waiting on it can always end.
final class OneShotSignal: Sendable {
    private struct Waiters {
        var parked: [Int: CheckedContinuation<Void, Never>] = [:]
        /// Cancelled before they parked: they must not park.
        var cancelled: Set<Int> = []
        var next = 0
    }

    private enum State {
        case waiting(Waiters)
        case fired
    }

    // Locked: the cancellation handler runs on whatever thread cancels the waiter.
    private let state = Locked(State.waiting(Waiters()))

    /// Returns when the signal fires or the calling task is cancelled, whichever comes first.
    func wait() async {
        let token = state.withLock { state -> Int? in
            guard case .waiting(var waiters) = state else { return nil }
            defer { waiters.next += 1; state = .waiting(waiters) }
            return waiters.next
        }
        guard let token else { return }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    guard case .waiting(var waiters) = state, !waiters.cancelled.contains(token) else { return true }
                    waiters.parked[token] = continuation
                    state = .waiting(waiters)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard case .waiting(var waiters) = state else { return nil }
                defer { state = .waiting(waiters) }
                guard let continuation = waiters.parked.removeValue(forKey: token) else {
                    waiters.cancelled.insert(token)
                    return nil
                }
                return continuation
            }
            continuation?.resume()
        }
    }

    /// Wakes every waiter, now and later.
    func fire() {
        let parked = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard case .waiting(let waiters) = state else { return [] }
            state = .fired
            return Array(waiters.parked.values)
        }
        for continuation in parked { continuation.resume() }
    }
}
