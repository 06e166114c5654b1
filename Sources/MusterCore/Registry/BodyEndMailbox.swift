/// The ends of task bodies waiting for the registry's actor, so that many ends cost one step.
///
/// A body's wrapper posts its outcome here instead of hopping onto the actor; only the post that
/// finds no drain scheduled hops, and its drain (on the actor) takes every end posted by then.
/// Each hop onto and off a busy actor wakes a pool thread: 100,000 bodies stopped together made
/// 100,000 such hops, one `finished` each.
final class BodyEndMailbox: Sendable {
    /// One body's end, as its wrapper saw it.
    struct End: Sendable {
        let id: TaskID
        let outcome: RegistryMachine.BodyOutcome
    }

    private struct State: Sendable {
        var ends: [End] = []
        /// A poster is on its way to drain: later posts leave the ends to it.
        var drainScheduled = false
    }

    private let state = Locked(State())

    /// Adds an end; true when the caller must drain (no drain was scheduled, and now one is).
    func post(_ end: End) -> Bool {
        state.withLock { state in
            state.ends.append(end)
            if state.drainScheduled { return false }
            state.drainScheduled = true
            return true
        }
    }

    /// Takes every end posted so far, oldest first; a later post schedules the next drain.
    func take() -> [End] {
        state.withLock { state in
            state.drainScheduled = false
            let ends = state.ends
            state.ends = []
            return ends
        }
    }

    /// Ends posted and not yet taken (for tests).
    var count: Int { state.withLock { $0.ends.count } }
}
