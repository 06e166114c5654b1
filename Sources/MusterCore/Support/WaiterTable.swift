/// One-shot waiters keyed by token, for an actor that suspends callers until something happens.
///
/// A waiter is registered first, then attached to a continuation, and resolved exactly once;
/// resolving before the attach is allowed (the value waits), so no wake-up is ever lost.
struct WaiterTable<Value: Sendable> {
    private enum Slot {
        case registered
        case suspended(CheckedContinuation<Value, Never>)
        case resolved(Value)
    }

    private var slots: [Int: Slot] = [:]
    private var nextToken = 0

    /// Waiters registered and not yet taken by their caller.
    var count: Int { slots.count }

    /// A new pending waiter.
    mutating func register() -> Int {
        defer { nextToken += 1 }
        slots[nextToken] = .registered
        return nextToken
    }

    /// True until the waiter is resolved.
    func isPending(_ token: Int) -> Bool {
        switch slots[token] {
        case .registered, .suspended: true
        case .resolved, nil: false
        }
    }

    /// The value, if resolved before the caller suspended (the slot is then removed).
    mutating func takeIfResolved(_ token: Int) -> Value? {
        guard case .resolved(let value) = slots[token] else { return nil }
        slots[token] = nil
        return value
    }

    /// Parks the continuation; a waiter already resolved resumes at once.
    mutating func attach(_ token: Int, _ continuation: CheckedContinuation<Value, Never>) {
        switch slots[token] {
        case .registered:
            slots[token] = .suspended(continuation)
        case .resolved(let value):
            slots[token] = nil
            continuation.resume(returning: value)
        case .suspended, nil:
            preconditionFailure("waiter \(token) attached twice or never registered")
        }
    }

    /// Resolves a pending waiter; later resolutions of the same token are ignored.
    mutating func resolve(_ token: Int, with value: Value) {
        switch slots[token] {
        case .registered:
            slots[token] = .resolved(value)
        case .suspended(let continuation):
            slots[token] = nil
            continuation.resume(returning: value)
        case .resolved, nil:
            break
        }
    }

    /// Resolves every pending waiter.
    mutating func resolveAll(with value: Value) {
        for token in Array(slots.keys) { resolve(token, with: value) }
    }
}
