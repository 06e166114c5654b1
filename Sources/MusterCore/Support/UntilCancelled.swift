/// Suspends until the calling task is cancelled; returns at once if it already is.
///
/// For a child of a task group that must end exactly when its group is cancelled (e.g. a wait
/// with no timeout): no clock, no far-away deadline standing for "forever".
func untilCancelled() async {
    let parked = Locked(ParkedUntilCancelled.waiting)
    await withTaskCancellationHandler {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = parked.withLock { state -> Bool in
                guard case .waiting = state else { return true }
                state = .parked(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    } onCancel: {
        let continuation = parked.withLock { state -> CheckedContinuation<Void, Never>? in
            defer { state = .cancelled }
            if case .parked(let continuation) = state { return continuation }
            return nil
        }
        continuation?.resume()
    }
}

/// Where `untilCancelled` stands: not yet suspended, suspended, or cancelled.
private enum ParkedUntilCancelled: Sendable {
    case waiting
    case parked(CheckedContinuation<Void, Never>)
    case cancelled
}
