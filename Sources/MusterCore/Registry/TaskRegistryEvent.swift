import Foundation

/// Something that changed in the registry, published on the session's bus as `SessionEvent.task`.
public enum TaskRegistryEvent: Sendable, Equatable {
    case started(TaskSnapshot)
    /// Status, step or activity changed; may coalesce with an undelivered update of the same task.
    case updated(TaskSnapshot)
    /// Exactly one per task; never coalesced or dropped.
    case finished(TaskSnapshot)
    /// The number of finished background results waiting for `spawner` changed.
    case resultsWaiting(Spawner, count: Int)
    /// A message to an agent was queued, read or dropped; never coalesced.
    case message(AgentMessageEvent)

    /// The task the event is about, if any.
    public var snapshot: TaskSnapshot? {
        switch self {
        case .started(let s), .updated(let s), .finished(let s): s
        case .resultsWaiting, .message: nil
        }
    }
}

/// What may coalesce in a subscription to the bus: one update per task, one count per inbox.
public enum TaskRegistryEventKey: Hashable, Sendable {
    case task(TaskID)
    case inbox(Spawner)
}

extension TaskRegistryEvent {
    /// Updates and inbox counts coalesce; starts and finishes never do.
    @Sendable public static func coalescingKey(_ event: TaskRegistryEvent) -> TaskRegistryEventKey? {
        switch event {
        case .updated(let s): .task(s.id)
        case .resultsWaiting(let spawner, _): .inbox(spawner)
        case .started, .finished, .message: nil
        }
    }
}
