import Foundation

/// Puts session records in causal order before they are numbered and written.
///
/// A sub-agent publishes its own events (text, tools) straight onto the session's bus, while
/// its `task_started` reaches the bus through the session's relay of registry events, a moment
/// later. So that every reader sees a task start before anything it does, a record of a
/// sub-agent whose `task_started` has not been written yet waits for it.
struct RecordOrdering {
    typealias Entry = (body: SessionRecord.Body, time: Date)

    private var started = Set<TaskID>()
    private var held: [TaskID: [Entry]] = [:]

    /// The records to write now, in order, for one that arrived.
    mutating func admit(_ body: SessionRecord.Body, at time: Date) -> [Entry] {
        var entries: [Entry] = []
        admit(body, at: time) { entries.append(($0, $1)) }
        return entries
    }

    /// Hands `emit` the records to write now, in order, for one that arrived (no array per
    /// record: this runs for every line of a flood).
    mutating func admit(_ body: SessionRecord.Body, at time: Date, emit: (SessionRecord.Body, Date) -> Void) {
        if case .taskStarted(let task) = body {
            started.insert(task.id)
            emit(body, time)
            for entry in held.removeValue(forKey: task.id) ?? [] { emit(entry.body, entry.time) }
            return
        }
        if let id = body.agent?.taskID, !started.contains(id) {
            held[id, default: []].append((body, time))
            return
        }
        emit(body, time)
    }

    /// Everything still waiting (its task never started in this recording), oldest first.
    mutating func releaseAll() -> [Entry] {
        defer { held = [:] }
        return held.values.flatMap { $0 }.sorted { $0.time < $1.time }
    }
}

extension SessionRecord.Body {
    /// The agent a record is about, if any.
    public var agent: AgentRef? {
        switch self {
        case .textDelta(let agent, _), .assistantMessage(let agent, _), .toolStart(let agent, _, _, _),
             .toolProgress(let agent, _, _, _), .toolEnd(let agent, _, _, _, _), .modelUsage(let agent, _):
            agent
        default:
            nil
        }
    }
}
