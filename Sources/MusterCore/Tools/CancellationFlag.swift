/// A cancellation request handed to work that runs on a plain thread, where `Task.isCancelled`
/// cannot see the calling task.
final class CancellationFlag: Sendable {
    private let cancelled = Locked(false)

    init() {}

    var isCancelled: Bool { cancelled.withLock { $0 } }

    func cancel() { cancelled.withLock { $0 = true } }

    /// Throws `CancellationError` once cancelled.
    func check() throws {
        if isCancelled { throw CancellationError() }
    }
}
