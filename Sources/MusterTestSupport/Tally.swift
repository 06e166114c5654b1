import MusterCore

/// Counts things by key from any task (model calls per agent, tool completions, ...).
public final class Tally: Sendable {
    private let counts = Locked<[String: Int]>([:])

    /// All counts at zero.
    public init() {}

    /// Counts one more `key`.
    public func add(_ key: String) { counts.withLock { $0[key, default: 0] += 1 } }

    /// How many `key`s were counted.
    public func count(_ key: String) -> Int { counts.withLock { $0[key, default: 0] } }
}
