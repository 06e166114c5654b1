import MusterCore

/// A one-shot latch for tests and benchmarks: task bodies wait at it, the caller sees them arrive and opens it.
///
/// `wait()` honours cancellation (it throws `CancellationError`); `waitIgnoringCancellation()`
/// stands for a body that does not check for cancellation until the gate opens.
public final class Gate: Sendable {
    private struct State {
        var isOpen = false
        var arrivals = 0
        var nextToken = 0
        var parked: [Int: CheckedContinuation<Void, any Error>] = [:]
        var arrivalWatchers: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Locked(State())

    /// A closed gate.
    public init() {}

    /// Waits until the gate opens; throws `CancellationError` if the waiting task is cancelled first.
    public func wait() async throws {
        let token = arrive()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let verdict = state.withLock { state -> Result<Void, any Error>? in
                    if state.isOpen { return .success(()) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.parked[token] = continuation
                    return nil
                }
                if let verdict { continuation.resume(with: verdict) }
            }
        } onCancel: {
            let continuation = state.withLock { $0.parked.removeValue(forKey: token) }
            continuation?.resume(throwing: CancellationError())
        }
    }

    /// Waits until the gate opens, whatever happens to the waiting task meanwhile.
    public func waitIgnoringCancellation() async {
        let token = arrive()
        try? await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let isOpen = state.withLock { state -> Bool in
                if state.isOpen { return true }
                state.parked[token] = continuation
                return false
            }
            if isOpen { continuation.resume() }
        }
    }

    /// Lets every waiter (present and future) through.
    public func open() {
        let parked = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.isOpen = true
            defer { state.parked = [:] }
            return Array(state.parked.values)
        }
        for continuation in parked { continuation.resume() }
    }

    /// How many waits have reached the gate so far.
    public var arrivals: Int { state.withLock { $0.arrivals } }

    /// Returns once `count` waits have reached the gate (they may have passed it if it is open).
    public func untilArrivals(_ count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let reached = state.withLock { state -> Bool in
                if state.arrivals >= count { return true }
                state.arrivalWatchers.append((count, continuation))
                return false
            }
            if reached { continuation.resume() }
        }
    }

    private func arrive() -> Int {
        let (token, reached) = state.withLock { state -> (Int, [CheckedContinuation<Void, Never>]) in
            state.arrivals += 1
            defer { state.nextToken += 1 }
            let arrivals = state.arrivals
            let reached = state.arrivalWatchers.filter { $0.count <= arrivals }.map(\.continuation)
            state.arrivalWatchers.removeAll { $0.count <= arrivals }
            return (state.nextToken, reached)
        }
        for continuation in reached { continuation.resume() }
        return token
    }
}
