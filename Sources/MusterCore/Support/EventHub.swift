import DequeModule


/// Fans events out to any number of subscribers without ever blocking the publisher.
///
/// Buffering policy: every subscriber has its own FIFO buffer that is never dropped from.
/// An event that has a coalescing key replaces, in place, that subscriber's undelivered
/// event with the same key (for example "task #7 updated": only the latest state matters).
/// Events without a key (task started, task finished, text) are never merged or dropped.
/// A subscriber that stops reading therefore holds at most one pending event per key plus
/// the unkeyed ones, and the publisher only ever takes a short lock per subscriber.
public final class EventHub<Event: Sendable, Key: Hashable & Sendable>: Sendable {
    private struct Registration: Sendable {
        weak var subscription: EventSubscription<Event, Key>?
    }

    private struct State: Sendable {
        /// Copied out (a retain, not a copy) by every publish; rebuilt only when it changes.
        var subscribers: [Registration] = []
        var finished = false
    }

    private let state = Locked(State())
    private let coalescingKey: @Sendable (Event) -> Key?

    /// Makes a hub; `coalescingKey` names events that may replace an undelivered predecessor.
    public init(coalescingKey: @escaping @Sendable (Event) -> Key? = { _ in nil }) {
        self.coalescingKey = coalescingKey
    }

    /// A new subscriber that receives every event published from now on.
    public func subscribe() -> EventSubscription<Event, Key> {
        subscribe(filter: nil)
    }

    /// A new subscriber that receives the events published from now on that `accepts` lets
    /// through. The publisher asks it first (it must be as quick as `publish`), so the others
    /// never reach the subscriber's buffer nor wake its reader: a watcher of one kind of event
    /// costs the bus a test per event, not a buffered copy and a wake-up.
    public func subscribe(where accepts: @escaping @Sendable (Event) -> Bool) -> EventSubscription<Event, Key> {
        subscribe(filter: accepts)
    }

    private func subscribe(filter: (@Sendable (Event) -> Bool)?) -> EventSubscription<Event, Key> {
        let subscription = EventSubscription<Event, Key>(coalescingKey: coalescingKey, filter: filter)
        let alreadyFinished = state.withLock { state -> Bool in
            if state.finished { return true }
            state.subscribers.append(Registration(subscription: subscription))
            return false
        }
        if alreadyFinished { subscription.finish() }
        return subscription
    }

    /// Delivers `event` to every live subscriber; never waits for any of them.
    public func publish(_ event: Event) {
        let registrations = state.withLock { $0.subscribers }
        var sawReleased = false
        for registration in registrations {
            if let subscription = registration.subscription {
                subscription.enqueue(event)
            } else {
                sawReleased = true
            }
        }
        // Subscriptions nobody holds any more are forgotten the first time they are seen.
        if sawReleased {
            state.withLock { $0.subscribers.removeAll { $0.subscription == nil } }
        }
    }

    /// Ends every subscription after its buffered events; later subscribers end at once.
    public func finish() {
        let targets = state.withLock { state -> [EventSubscription<Event, Key>] in
            state.finished = true
            let all = state.subscribers.compactMap(\.subscription)
            state.subscribers = []
            return all
        }
        for subscription in targets { subscription.finish() }
    }

    /// Number of subscribers still registered (for tests and diagnostics).
    public var subscriberCount: Int {
        state.withLock { $0.subscribers.filter { $0.subscription != nil }.count }
    }
}

/// One subscriber's buffer of an `EventHub`; iterate it with `for await`.
public final class EventSubscription<Event: Sendable, Key: Hashable & Sendable>: AsyncSequence, Sendable {
    private struct Buffer: Sendable {
        var events = Deque<Event>()
        /// Absolute position of the undelivered event for each key.
        var positions: [Key: Int] = [:]
        /// Absolute position of `events.first`.
        var head = 0
        var waiter: CheckedContinuation<Event?, Never>?
        var finished = false

        mutating func popFirst(keyOf: (Event) -> Key?) -> Event? {
            guard let event = events.popFirst() else { return nil }
            if let key = keyOf(event), positions[key] == head { positions[key] = nil }
            head += 1
            return event
        }
    }

    private let buffer = Locked(Buffer())
    /// Events already moved out of `buffer` in one batch, read one by one. Only the reader
    /// touches it, so its lock is never contended and the publishers' lock is taken once per
    /// batch instead of once per event. Taken events no longer coalesce: they count as read.
    private let taken = Locked(Deque<Event>())
    private let coalescingKey: @Sendable (Event) -> Key?
    /// Which events this subscriber takes (nil: all of them).
    private let filter: (@Sendable (Event) -> Bool)?

    init(coalescingKey: @escaping @Sendable (Event) -> Key?, filter: (@Sendable (Event) -> Bool)? = nil) {
        self.coalescingKey = coalescingKey
        self.filter = filter
    }

    /// Events buffered and not yet read (for tests and diagnostics).
    public var pendingCount: Int { taken.withLock { $0.count } + buffer.withLock { $0.events.count } }

    func enqueue(_ event: Event) {
        if let filter, !filter(event) { return }
        let key = coalescingKey(event)
        let waiter = buffer.withLock { buffer -> CheckedContinuation<Event?, Never>? in
            guard !buffer.finished else { return nil }
            if let waiter = buffer.waiter {
                buffer.waiter = nil
                return waiter
            }
            if let key {
                if let position = buffer.positions[key] {
                    buffer.events[position - buffer.head] = event
                    return nil
                }
                buffer.positions[key] = buffer.head + buffer.events.count
            }
            buffer.events.append(event)
            return nil
        }
        waiter?.resume(returning: event)
    }

    /// Stops the subscription: buffered events are still read, then iteration ends.
    public func finish() {
        let waiter = buffer.withLock { buffer -> CheckedContinuation<Event?, Never>? in
            buffer.finished = true
            defer { buffer.waiter = nil }
            return buffer.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// The next event, or nil once finished and drained, or when the reading task is cancelled.
    public func next() async -> Event? {
        let keyOf = coalescingKey
        if let ready = takeNext() { return ready }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Event?, Never>) in
                // .some(value): resume now with value; nil: parked as the waiter.
                let immediate = buffer.withLock { buffer -> Event?? in
                    if let event = buffer.popFirst(keyOf: keyOf) { return .some(event) }
                    if buffer.finished || Task.isCancelled { return .some(nil) }
                    precondition(buffer.waiter == nil, "EventSubscription supports one reader at a time")
                    buffer.waiter = continuation
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = buffer.withLock { buffer -> CheckedContinuation<Event?, Never>? in
                defer { buffer.waiter = nil }
                return buffer.waiter
            }
            waiter?.resume(returning: nil)
        }
    }

    /// The next event from the reader's batch, refilling the batch with everything buffered.
    private func takeNext() -> Event? {
        taken.withLock { local -> Event? in
            if let event = local.popFirst() { return event }
            buffer.withLock { shared in
                guard !shared.events.isEmpty else { return }
                // `local` is empty: the publishers keep its capacity, the reader takes the events.
                swap(&local, &shared.events)
                shared.head += local.count
                if !shared.positions.isEmpty { shared.positions = [:] }
            }
            return local.popFirst()
        }
    }

    /// Iterator over the subscription's events.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let subscription: EventSubscription
        public mutating func next() async -> Event? { await subscription.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(subscription: self) }
}
