/// One waiter for one value, resolved once from anywhere; a cancelled waiter returns nil at
/// once. It replaces a task group of a watch and an expiry (two child tasks per wait) where
/// thousands of agents wait at the same time.
final class CancellableWaiter<Value: Sendable>: Sendable {
    private enum State {
        case waiting
        case parked(CheckedContinuation<Value?, Never>)
        case resolved(Value)
        case cancelled
        case done
    }

    // Locked: `resolve` comes from an actor, the cancellation handler from whoever cancels.
    private let state = Locked(State.waiting)

    /// The value once resolved, or nil when the calling task is cancelled first.
    func wait() async -> Value? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
                let now = state.withLock { state -> Value?? in
                    switch state {
                    case .waiting:
                        state = .parked(continuation)
                        return .none
                    case .resolved(let value):
                        state = .done
                        return .some(value)
                    case .cancelled, .parked, .done:
                        state = .done
                        return .some(nil)
                    }
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            let parked = state.withLock { state -> CheckedContinuation<Value?, Never>? in
                switch state {
                case .parked(let continuation):
                    state = .done
                    return continuation
                case .waiting:
                    state = .cancelled
                    return nil
                case .resolved, .cancelled, .done:
                    return nil
                }
            }
            parked?.resume(returning: nil)
        }
    }

    /// Hands `value` to the waiter (now, or when it comes to wait); later calls do nothing.
    func resolve(_ value: Value) {
        let parked = state.withLock { state -> CheckedContinuation<Value?, Never>? in
            switch state {
            case .parked(let continuation):
                state = .done
                return continuation
            case .waiting:
                state = .resolved(value)
                return nil
            case .resolved, .cancelled, .done:
                return nil
            }
        }
        parked?.resume(returning: value)
    }
}
