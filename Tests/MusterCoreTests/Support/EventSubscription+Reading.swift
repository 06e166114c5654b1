import MusterCore
import Testing

/// Something read one event at a time: a bus subscription, or the task events of one.
protocol EventReading {
    associatedtype Event
    /// The next event, or nil once the stream has ended.
    func next() async -> Event?
}

extension EventSubscription: EventReading {}

extension EventReading {
    /// Reads events until one satisfies `predicate`; returns all it read, that one last.
    /// Records an issue if the subscription ends first.
    func read(
        until predicate: (Event) -> Bool,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async -> [Event] {
        var read: [Event] = []
        while let event = await next() {
            read.append(event)
            if predicate(event) { return read }
        }
        Issue.record("The subscription ended before the awaited event arrived.", sourceLocation: sourceLocation)
        return read
    }

    /// Reads everything left until the subscription ends.
    func readToEnd() async -> [Event] {
        var read: [Event] = []
        while let event = await next() { read.append(event) }
        return read
    }
}

/// The registry's transitions on a session-bus subscription (`SessionEvent.task`), in bus order;
/// every other event on the bus is read past and dropped.
struct TaskEvents: AsyncSequence, EventReading, Sendable {
    let subscription: EventSubscription<SessionEvent, SessionEventKey>

    func next() async -> TaskRegistryEvent? {
        while let event = await subscription.next() {
            if case .task(let taskEvent) = event { return taskEvent }
        }
        return nil
    }

    /// Events of every kind buffered on the bus subscription and not yet read.
    var pendingCount: Int { subscription.pendingCount }

    struct AsyncIterator: AsyncIteratorProtocol {
        let events: TaskEvents
        mutating func next() async -> TaskRegistryEvent? { await events.next() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(events: self) }
}

extension EventSubscription where Event == SessionEvent, Key == SessionEventKey {
    /// The task events of this session-bus subscription.
    var tasks: TaskEvents { TaskEvents(subscription: self) }
}

extension EventReading where Event == TaskRegistryEvent {
    /// Reads until every task in `ids` has finished; returns the finished snapshots by id.
    func readUntilFinished(
        _ ids: some Sequence<TaskID>,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async -> [TaskID: TaskSnapshot] {
        var waitingFor = Set(ids)
        var finished: [TaskID: TaskSnapshot] = [:]
        guard !waitingFor.isEmpty else { return finished }
        _ = await read(until: { event in
            if case .finished(let snapshot) = event, waitingFor.remove(snapshot.id) != nil {
                finished[snapshot.id] = snapshot
            }
            return waitingFor.isEmpty
        }, sourceLocation: sourceLocation)
        return finished
    }

    /// Reads until `id` has finished; returns its final snapshot.
    func readUntilFinished(
        _ id: TaskID,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async -> TaskSnapshot? {
        await readUntilFinished([id], sourceLocation: sourceLocation)[id]
    }
}

extension TaskRegistryEvent {
    /// The id of the task this event finishes, if it is a `.finished` event.
    var finishedID: TaskID? {
        if case .finished(let snapshot) = self { snapshot.id } else { nil }
    }

    /// Whether this event shows task `id` running at `step`.
    func showsRunning(_ id: TaskID, step: Int? = nil) -> Bool {
        guard let snapshot, snapshot.id == id, case .running(let current, _) = snapshot.status else { return false }
        return step.map { $0 == current } ?? true
    }
}

extension TaskRegistryEvent {
    /// The event's case as a word: `started`, `updated`, `finished`, `resultsWaiting`.
    var caseWord: String {
        switch self {
        case .started: "started"
        case .updated: "updated"
        case .finished: "finished"
        case .resultsWaiting: "resultsWaiting"
        case .message: "message"
        }
    }
}
