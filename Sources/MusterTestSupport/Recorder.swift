import MusterCore

/// Collects values from any task, in the order they were recorded (e.g. which bodies ran).
public final class Recorder<Value: Sendable>: Sendable {
    private let storage = Locked<[Value]>([])

    /// An empty recorder.
    public init() {}

    /// Appends `value`.
    public func record(_ value: Value) {
        storage.withLock { $0.append(value) }
    }

    /// Everything recorded so far.
    public var values: [Value] { storage.withLock { $0 } }

    /// How many values were recorded.
    public var count: Int { storage.withLock { $0.count } }
}
