import Synchronization

/// What task bodies tell the registry without an answer, waiting for its actor: a body's
/// beginning, an agent's progress on its way to a model call, a body's end. Many posts cost
/// one step.
///
/// A body posts here instead of hopping onto the actor; only the post that finds no drain
/// scheduled hops, and its drain (on the actor) takes every post made by then. Every step of
/// the actor takes what waits here before it reads or changes an entry (`TaskRegistry.machine`),
/// so a body's own later calls, and everyone else's, find its posts recorded, in the order
/// posted. Each hop onto and off a busy actor wakes a pool thread: 100,000 agents starting
/// made four hops each, contending with the starts themselves; 100,000 bodies stopped together
/// made 100,000 hops, one `finished` each.
final class BodyMailbox: Sendable {
    /// One body's end, as its wrapper saw it.
    struct End: Sendable {
        let id: TaskID
        let outcome: RegistryMachine.BodyOutcome
    }

    /// One thing a body told.
    enum Post: Sendable {
        /// Its body has begun (pending → running, unless a stop or a pause came first).
        case began(TaskID)
        /// A step and/or an activity, as `TaskRegistry.report` takes them.
        case report(TaskID, step: Int?, activity: String?, joinsTrail: Bool)
        case ended(End)
    }

    private struct State: Sendable {
        var posts: [Post] = []
        /// How many times the posts were taken.
        var takes = 0
        /// A poster is on its way to drain: later posts leave theirs to it.
        var drainScheduled = false
    }

    private let state = Locked(State())
    /// Posts wait (mirrors `drainScheduled`): the actor's steps look here first, without the lock.
    private let waiting = Atomic<Bool>(false)

    /// Adds a post; a ticket when the caller must see it drained (no drain was scheduled, and
    /// now one is), nil when a drain is on its way already.
    func post(_ post: Post) -> Ticket? {
        state.withLock { state in
            state.posts.append(post)
            if state.drainScheduled { return nil }
            state.drainScheduled = true
            waiting.store(true, ordering: .releasing)
            return Ticket(takes: state.takes)
        }
    }

    /// What a poster that must see its post drained holds: it may find that a step took the
    /// posts meanwhile (`isTaken`), and then need not drain.
    struct Ticket: Sendable {
        fileprivate let takes: Int
    }

    /// Whether the posts waiting when `ticket` was given have been taken since.
    func isTaken(_ ticket: Ticket) -> Bool {
        state.withLock { $0.takes != ticket.takes }
    }

    /// Whether anything was posted since the last `take` (a drain is then on its way).
    var hasPosts: Bool { waiting.load(ordering: .acquiring) }

    /// Takes every post made so far, oldest first; a later post schedules the next drain.
    func take() -> [Post] {
        state.withLock { state in
            state.drainScheduled = false
            state.takes += 1
            waiting.store(false, ordering: .releasing)
            let posts = state.posts
            state.posts = []
            return posts
        }
    }

    /// Posts made and not yet taken (for tests).
    var count: Int { state.withLock { $0.posts.count } }
}
