import Synchronization

/// Whether a task's body begins or a stop comes first, decided once between the two without the
/// registry's actor: the body's beginning is posted (`BodyMailbox`), not a trip to the actor,
/// so the actor alone could not keep "its body runs exactly when it was seen running".
final class BodyStart: Sendable {
    private static let undecided: UInt8 = 0, began: UInt8 = 1, stopped: UInt8 = 2
    private let state = Atomic<UInt8>(BodyStart.undecided)

    init() {}

    /// The body's side: true when it may run (no stop came first); it then posts its beginning.
    func begin() -> Bool {
        state.compareExchange(expected: Self.undecided, desired: Self.began, ordering: .acquiringAndReleasing).exchanged
    }

    /// A stop of a task not yet seen running: true when it came before the body began (which
    /// then never runs); false when the body has begun and its beginning is to be recorded first.
    func stop() -> Bool {
        let (exchanged, original) = state.compareExchange(expected: Self.undecided, desired: Self.stopped, ordering: .acquiringAndReleasing)
        return exchanged || original == Self.stopped
    }
}
