import MusterCore

/// Collects values from any task, in the order they were recorded (e.g. which bodies ran).
final class Recorder<Value: Sendable>: Sendable {
    private let storage = Locked<[Value]>([])

    /// Appends `value`.
    func record(_ value: Value) {
        storage.withLock { $0.append(value) }
    }

    /// Everything recorded so far.
    var values: [Value] { storage.withLock { $0 } }

    /// How many values were recorded.
    var count: Int { storage.withLock { $0.count } }
}
