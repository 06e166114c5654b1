import MusterCore

/// Every task the front end has heard of, as last seen, and when it was seen: the task
/// dialog's list and the agents panel read it. Fed by registry events; a value with no I/O.
public struct TaskBoard: Sendable {
    /// A task as last seen.
    public struct Entry: Sendable {
        public let snapshot: TaskSnapshot
        /// When this snapshot arrived: a running task's age goes on from there.
        public let seenAt: ContinuousClock.Instant
    }

    public private(set) var entries: [TaskID: Entry] = [:]
    /// Background tasks that have not ended: the agents panel's rows.
    public private(set) var activeBackground: Set<TaskID> = []
    /// Changes whenever a task is added or changes.
    public private(set) var revision = 0
    /// Changes only when the dialog's order can change: a task is added, or ends (the dialog
    /// rebuilds its tree then; a row's text is read from the board at each frame).
    public private(set) var structureRevision = 0
    /// The largest id seen (for the width of the id column).
    public private(set) var largestID = 0
    /// Calls of tasks waiting for approval, in the order they asked (`y`/`n` in the dialog
    /// answer them; the dialog lists their tasks first).
    public private(set) var approvals: [ApprovalRequest] = []
    /// Queued tasks in launch order (id order), from `queueHead` on: the registry publishes only
    /// the task that leaves the queue, so the board works out the places of the others.
    private var queued: [TaskID] = []
    private var queueHead = 0

    /// An empty board.
    public init() {}

    public var isEmpty: Bool { entries.isEmpty }

    /// The task with this id as last seen; a queued one with its place in the queue now.
    public func snapshot(of id: TaskID) -> TaskSnapshot? {
        guard let snapshot = entries[id]?.snapshot else { return nil }
        guard snapshot.isQueued, let index = queueIndex(of: id) else { return snapshot }
        return snapshot.queued(at: index - queueHead + 1)
    }

    /// Where `id` is, or would go, in `queued` (binary search: ids grow along it).
    private func queueBound(of id: TaskID) -> Int {
        var (low, high) = (queueHead, queued.count)
        while low < high {
            let middle = (low + high) / 2
            if queued[middle] < id { low = middle + 1 } else { high = middle }
        }
        return low
    }

    private func queueIndex(of id: TaskID) -> Int? {
        let index = queueBound(of: id)
        return index < queued.count && queued[index] == id ? index : nil
    }

    /// Keeps `queued` in step with whether `task` waits in the queue.
    private mutating func trackQueue(_ task: TaskSnapshot) {
        let index = queueIndex(of: task.id)
        if task.isQueued, index == nil {
            // Launches come in id order, so this is nearly always an append.
            queued.insert(task.id, at: queueBound(of: task.id))
        } else if !task.isQueued, let index {
            if index == queueHead {
                queueHead += 1
                // Compacted once half is gone: O(1) per task on average.
                if queueHead > queued.count / 2 {
                    queued.removeFirst(queueHead)
                    queueHead = 0
                }
            } else {
                queued.remove(at: index)
            }
        }
    }

    /// Applies a registry transition seen at `now`; returns the task it changed, if any.
    @discardableResult
    public mutating func apply(_ event: TaskRegistryEvent, at now: ContinuousClock.Instant) -> TaskSnapshot? {
        guard let task = event.snapshot else { return nil }
        // A task's end is final: an update that was delivered late never brings it back.
        if let known = entries[task.id]?.snapshot, known.isTerminal, !task.isTerminal { return nil }
        store(task, at: now)
        return task
    }

    /// Adds the tasks of a listing that the board has not heard of (events are newer than any
    /// listing of the same task, so a known task keeps what its events said).
    public mutating func seed(_ tasks: [TaskSnapshot], at now: ContinuousClock.Instant) {
        for task in tasks where entries[task.id] == nil {
            store(task, at: now)
        }
    }

    private mutating func store(_ task: TaskSnapshot, at now: ContinuousClock.Instant) {
        let before = entries.updateValue(Entry(snapshot: task, seenAt: now), forKey: task.id)?.snapshot
        if before == nil || before?.isTerminal != task.isTerminal || before?.endedAt != task.endedAt { structureRevision &+= 1 }
        if task.mode == .background, !task.isTerminal { activeBackground.insert(task.id) } else { activeBackground.remove(task.id) }
        if task.isQueued || before?.isQueued == true { trackQueue(task) }
        largestID = max(largestID, task.id.rawValue)
        revision &+= 1
    }

    /// A task's call asks for approval: its task goes to the top of the dialog's list.
    public mutating func noteApproval(_ request: ApprovalRequest) {
        guard request.agent.taskID != nil else { return }
        approvals.append(request)
        structureRevision &+= 1
    }

    /// Request `id` was answered (or its call stopped); returns the request when it waited.
    @discardableResult
    public mutating func removeApproval(id: Int) -> ApprovalRequest? {
        guard let index = approvals.firstIndex(where: { $0.id == id }) else { return nil }
        structureRevision &+= 1
        return approvals.remove(at: index)
    }

    /// The tasks with a call waiting for approval, each once, in the order of their oldest call.
    public var waitingForApproval: [TaskID] {
        var seen = Set<TaskID>()
        return approvals.compactMap(\.agent.taskID).filter { seen.insert($0).inserted }
    }

    /// How long the task has run as of `now`: its age when last seen, plus the time since while
    /// it has not ended.
    public func elapsed(of task: TaskSnapshot, at now: ContinuousClock.Instant) -> Duration {
        guard !task.isTerminal, let seen = entries[task.id]?.seenAt else { return task.age }
        return task.age + max(.zero, seen.duration(to: now))
    }

    /// The tasks `id` launched, at any depth, that have not ended.
    public func runningDescendants(of id: TaskID) -> [TaskSnapshot] {
        var children: [TaskID: [TaskSnapshot]] = [:]
        for entry in entries.values {
            if let parent = entry.snapshot.spawner.taskID { children[parent, default: []].append(entry.snapshot) }
        }
        var found: [TaskSnapshot] = []
        var stack = [id]
        while let next = stack.popLast() {
            for child in children[next] ?? [] {
                if !child.isTerminal { found.append(child) }
                stack.append(child.id)
            }
        }
        return found.sorted { $0.id < $1.id }
    }
}
