import DequeModule

/// One subscriber's buffer of an `EventHub`; iterate it with `for await`.
public final class EventSubscription<Event: Sendable, Key: Hashable & Sendable>: AsyncSequence, Sendable {
    // The reading side (`next`, `takeNext`) is inlinable, so a reader in another module runs it
    // specialized for its event type: unspecialized, it looked up generic metadata for every
    // event (the progress-throughput benchmark's profile).
    @usableFromInline
    struct Buffer: Sendable {
        @usableFromInline var events = ChunkedQueue<Event>()
        /// Absolute position of the undelivered event for each key.
        @usableFromInline var positions: [Key: Int] = [:]
        /// Absolute position of `events.first`.
        @usableFromInline var head = 0
        @usableFromInline var waiter: CheckedContinuation<Event?, Never>?
        @usableFromInline var finished = false

        @usableFromInline init() {}

        @inlinable
        mutating func popFirst(keyOf: (Event) -> Key?) -> Event? {
            guard let event = events.popFirst() else { return nil }
            if let key = keyOf(event), positions[key] == head { positions[key] = nil }
            head += 1
            return event
        }
    }

    @usableFromInline let buffer = Locked(Buffer())
    /// Events already moved out of `buffer` in one batch, read one by one. Only the reader
    /// touches it, so its lock is never contended and the publishers' lock is taken once per
    /// batch instead of once per event. Taken events no longer coalesce: they count as read.
    @usableFromInline let taken = Locked(ChunkedQueue<Event>())
    @usableFromInline let coalescingKey: @Sendable (Event) -> Key?
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
            Self.append(event, key: key, to: &buffer)
            return nil
        }
        waiter?.resume(returning: event)
    }

    /// The same as enqueueing each of `events` in turn, with one lock and at most one wake-up of
    /// the reader: a parked reader gets the first accepted event, the rest is buffered behind it.
    func enqueue(contentsOf events: [Event]) {
        // The filter runs outside the lock, as for one event: it is the subscriber's code.
        let accepted = filter.map { events.filter($0) } ?? events
        guard let first = accepted.first else { return }
        let keyOf = coalescingKey
        let waiter = buffer.withLock { buffer -> CheckedContinuation<Event?, Never>? in
            guard !buffer.finished else { return nil }
            let waiter = buffer.waiter
            buffer.waiter = nil
            for index in accepted.indices where waiter == nil || index > accepted.startIndex {
                Self.append(accepted[index], key: keyOf(accepted[index]), to: &buffer)
            }
            return waiter
        }
        waiter?.resume(returning: first)
    }

    /// Buffers `event`, in place of the undelivered one with the same key if there is one.
    private static func append(_ event: Event, key: Key?, to buffer: inout Buffer) {
        if let key {
            if let position = buffer.positions[key] {
                buffer.events[position - buffer.head] = event
                return
            }
            buffer.positions[key] = buffer.head + buffer.events.count
        }
        buffer.events.append(event)
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
    @inlinable
    public func next() async -> Event? {
        let keyOf = coalescingKey
        if let ready = takeNext() { return ready }
        // Once more behind the work already queued before parking: under a burst the publishers
        // have added more by then, and the reader takes a batch instead of being woken for
        // each event (each wake-up a futex call that woke a parked pool thread; 100,000 agents
        // starting: 235,000 futex calls → 150,000, ids returned 12–19 % sooner).
        await Task.yield()
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
    @inlinable
    func takeNext() -> Event? {
        taken.withLock { local -> Event? in
            if let event = local.popFirst() { return event }
            buffer.withLock { shared in
                guard !shared.events.isEmpty else { return }
                // `local` is empty: the publishers keep its capacity, the reader takes the events.
                swap(&local, &shared.events)
                shared.head += local.count
                // Its storage is kept (up to a bound): regrown from nothing after every batch
                // taken, its resizing was a quarter of publishing a burst of updates.
                if !shared.positions.isEmpty { shared.positions.removeAll(keepingCapacity: shared.positions.count <= 4_096) }
            }
            return local.popFirst()
        }
    }

    /// Iterator over the subscription's events.
    public struct AsyncIterator: AsyncIteratorProtocol {
        @usableFromInline let subscription: EventSubscription
        @usableFromInline init(subscription: EventSubscription) { self.subscription = subscription }
        @inlinable public mutating func next() async -> Event? { await subscription.next() }
    }

    @inlinable
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(subscription: self) }
}
