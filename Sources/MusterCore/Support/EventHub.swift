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
        forEachSubscriber { $0.enqueue(event) }
    }

    /// Delivers `events` in order to every live subscriber, as publishing them one by one
    /// would, with one lock and at most one wake-up per subscriber (a registry step that ends
    /// or stops thousands of tasks woke each reader once per event).
    public func publish(contentsOf events: [Event]) {
        guard !events.isEmpty else { return }
        forEachSubscriber { $0.enqueue(contentsOf: events) }
    }

    private func forEachSubscriber(_ deliver: (EventSubscription<Event, Key>) -> Void) {
        let registrations = state.withLock { $0.subscribers }
        var sawReleased = false
        // By index: a `for` over the array would copy each weak reference, and destroy the copy.
        for index in registrations.indices {
            if let subscription = registrations[index].subscription {
                deliver(subscription)
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
