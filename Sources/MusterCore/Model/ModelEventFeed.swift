/// One model turn played into a buffer from outside any task (a model's timer) and read by the
/// one task that called the model (`LanguageModel.feedTurn`), which an interruption (a pause, a
/// time budget) or the reader's cancellation ends at once with `CancellationError`.
///
/// Not an `AsyncThrowingStream`: an idle agent's task keeps the memory of the deepest chain of
/// frames it ever had, and an agent waits here in one shallow, non-generic frame holding a
/// continuation (`nextUnwatched`), where the stream's iterator went through its generic
/// storage's frames and a cancellation handler per wait. A continuation, not a `CheckedContinuation`: no box per wait. A
/// handle to one allocation (the state and its lock): copies read and feed the same turn.
public struct ModelEventFeed: AsyncIteratorProtocol, Sendable {
    public typealias Element = ModelEvent

    private enum Ending {
        case finished
        case failed(any Error)
    }

    private struct State {
        /// Events yielded and not read yet, from `head` on.
        var buffered: [ModelEvent] = []
        var head = 0
        /// The reader, while it waits for an event.
        var reader: UnsafeContinuation<ModelEvent?, any Error>?
        /// Set once: no event is taken after it; the reader sees it once the buffer is read.
        var ending: Ending?
        /// Told to stop when the feed ends before it has finished it.
        var producer: (any ModelEventProducer)?
    }

    // Locked: the producer yields from its own thread, an interruption comes from whoever pauses.
    // One allocation with its lock: one feed per model call of every agent.
    private let state = CompactLocked(State())

    public init() {}

    // MARK: The producer's side

    /// Has `producer` told (once, outside the lock) when the feed ends before it finished it: at
    /// once when it has already ended that way.
    public func attach(_ producer: any ModelEventProducer) {
        let ended = state.withLock { state -> Bool in
            guard state.ending == nil else { return true }
            state.producer = producer
            return false
        }
        if ended { producer.stopProducing() }
    }

    /// Hands `event` to the reader (now if it waits); dropped once the feed has ended.
    public func yield(_ event: ModelEvent) {
        let reader = state.withLock { state -> UnsafeContinuation<ModelEvent?, any Error>? in
            guard state.ending == nil else { return nil }
            if let reader = state.reader {
                state.reader = nil
                return reader
            }
            state.buffered.append(event)
            return nil
        }
        reader?.resume(returning: event)
    }

    /// The turn is over: the reader gets nil after the events buffered (or `error` instead of nil).
    public func finish(throwing error: (any Error)? = nil) {
        let reader = state.withLock { state -> UnsafeContinuation<ModelEvent?, any Error>? in
            guard state.ending == nil else { return nil }
            state.ending = error.map { .failed($0) } ?? .finished
            state.producer = nil
            defer { state.reader = nil }
            return state.reader
        }
        guard let reader else { return }
        if let error { reader.resume(throwing: error) } else { reader.resume(returning: nil) }
    }

    // MARK: The reader's side

    /// Ends the call from outside (a pause, a time budget, the reader going away): the events
    /// not read yet are dropped, the reader gets `CancellationError`, and the producer is told
    /// to stop unless it had finished. Safe from any thread, any number of times.
    public func interrupt() {
        let (reader, producer) = state.withLock { state -> (UnsafeContinuation<ModelEvent?, any Error>?, (any ModelEventProducer)?) in
            if case .failed(let error) = state.ending, error is CancellationError { return (nil, nil) }
            state.ending = .failed(CancellationError())
            state.buffered = []
            state.head = 0
            defer {
                state.reader = nil
                state.producer = nil
            }
            return (state.reader, state.producer)
        }
        producer?.stopProducing()
        reader?.resume(throwing: CancellationError())
    }

    /// The next event; nil once the turn is over; throws the producer's error, or
    /// `CancellationError` when interrupted or when the calling task is cancelled (then at once).
    /// For the one reader only.
    public func next() async throws -> ModelEvent? {
        try await withTaskCancellationHandler {
            try await nextUnwatched()
        } onCancel: {
            interrupt()
        }
    }

    /// `next` for a reader whose cancellation interrupts the feed another way (an agent's run has
    /// one cancellation handler for all its calls, see `AgentInterrupt.stop`): it waits in one
    /// frame with no handler of its own. Interrupts the feed when the task is already cancelled.
    @inline(never)
    func nextUnwatched() async throws -> ModelEvent? {
        if Task.isCancelled { interrupt() }
        if let ready = try state.withLock({ state in try Self.take(&state) }) { return ready.event }
        return try await withUnsafeThrowingContinuation { (reader: UnsafeContinuation<ModelEvent?, any Error>) in
            let now = state.withLock { state -> Result<ModelEvent?, any Error>? in
                do {
                    if let ready = try Self.take(&state) { return .success(ready.event) }
                    state.reader = reader
                    return nil
                } catch {
                    return .failure(error)
                }
            }
            if let now { reader.resume(with: now) }
        }
    }

    /// What the reader gets now: an event buffered or the end (nil inside); nil when it must wait.
    private struct Ready { let event: ModelEvent? }

    /// An event buffered, the end, or nil when nothing is there yet (throws the ending's error).
    private static func take(_ state: inout State) throws -> Ready? {
        if state.head < state.buffered.count {
            let event = state.buffered[state.head]
            state.head += 1
            if state.head == state.buffered.count {
                state.buffered.removeAll(keepingCapacity: true)
                state.head = 0
            }
            return Ready(event: event)
        }
        switch state.ending {
        case .finished: return Ready(event: nil)
        case .failed(let error): throw error
        case nil: return nil
        }
    }

    /// The feed read as an `AsyncThrowingStream` in its consuming task (for callers of
    /// `streamTurn`); a stream dropped before its end interrupts the feed, so the producer
    /// withdraws its work.
    public func stream() -> AsyncThrowingStream<ModelEvent, any Error> {
        let reader = Reader(self)
        return AsyncThrowingStream(unfolding: { try await reader.feed.next() })
    }

    /// Interrupts the feed when the stream that reads it goes away.
    private final class Reader: Sendable {
        let feed: ModelEventFeed
        init(_ feed: ModelEventFeed) { self.feed = feed }
        deinit { feed.interrupt() }
    }

    /// Events buffered and not read (for tests).
    var bufferedCount: Int { state.withLock { $0.buffered.count - $0.head } }
}
