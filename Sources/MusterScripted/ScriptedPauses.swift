import Dispatch
import Synchronization

/// The scripted model's pauses on the real clock, all on one dispatch timer: a pause is an
/// action in a table, not a task of its own. `Task.sleep` makes a sleep task and a dispatch timer
/// per pause, and 100,000 agents idle inside a scripted step held 100,000 of each (about 0.6 KB
/// apiece, and the frames of the sleep's generic path).
///
/// A scripted turn is played from here (`schedule`): its next event is an action the timer runs
/// when it is due, so a turn waiting in a pause holds no task frames at all; the turn's end
/// before its last step (a pause, a time budget, a stop) withdraws the action (`cancel`).
final class ScriptedPauses: Sendable {
    private typealias Instant = ContinuousClock.Instant

    private struct State: ~Copyable {
        /// By id (never reused); the deadline is in the heap only: an entry here is 24 bytes, not
        /// 48, and with 100,000 agents in a pause the table has 262,144 of them. An object, not
        /// a closure: no closure context to allocate per pause.
        var waiting: [Int: any ScriptedPauseAction] = [:]
        /// Deadlines by time (a binary min-heap); an entry whose id has left `waiting` is skipped.
        var heap: [(deadline: Instant, id: Int)] = []
        var nextID = 0
        /// The deadline the timer is set for, if any.
        var armed: Instant?
        /// The one timer (not Sendable: touched only under the lock).
        let timer: any DispatchSourceTimer

        mutating func push(_ deadline: Instant, _ id: Int) {
            heap.append((deadline, id))
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard heap[child].deadline < heap[parent].deadline else { break }
                heap.swapAt(child, parent)
                child = parent
            }
        }

        mutating func popMin() {
            heap.swapAt(0, heap.count - 1)
            heap.removeLast()
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < heap.count, heap[left].deadline < heap[smallest].deadline { smallest = left }
                if right < heap.count, heap[right].deadline < heap[smallest].deadline { smallest = right }
                guard smallest != parent else { return }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }

        /// The earliest deadline still waited for (dropping the entries of pauses that ended).
        mutating func earliest() -> Instant? {
            while let first = heap.first {
                if waiting[first.id] != nil { return first.deadline }
                popMin()
            }
            return nil
        }
    }

    /// Everything under this lock: the table, the heap and the timer.
    private let state: Mutex<State>

    init() {
        state = Mutex(State(timer: DispatchSource.makeTimerSource(queue: DispatchQueue(label: "muster.scripted-pauses"))))
        state.withLock { state in
            state.timer.setEventHandler { [weak self] in self?.fire() }
            state.timer.activate()
        }
    }

    deinit {
        state.withLock { $0.timer.cancel() }
    }

    /// Has `action` told on the timer's queue after `delay`, unless `cancel` with the id returned
    /// comes first.
    func schedule(after delay: Duration, _ action: any ScriptedPauseAction) -> Int {
        let deadline = Instant.now + delay
        return state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            insert(id, deadline, action, &state)
            return id
        }
    }

    /// The actions waiting (for tests).
    var pendingCount: Int { state.withLock { $0.waiting.count } }

    /// Withdraws the action scheduled as `id`; true when it had not run (and now never will).
    @discardableResult
    func cancel(_ id: Int) -> Bool {
        state.withLock { $0.waiting.removeValue(forKey: id) != nil }
    }

    /// Adds an action to the table and the heap, and sets the timer when it is the earliest (under the lock).
    private func insert(_ id: Int, _ deadline: Instant, _ action: any ScriptedPauseAction, _ state: inout State) {
        state.waiting[id] = action
        state.push(deadline, id)
        if state.armed.map({ deadline < $0 }) ?? true { arm(deadline, &state) }
    }

    /// Sets the timer for `deadline` (under the lock).
    private func arm(_ deadline: Instant, _ state: inout State) {
        state.armed = deadline
        let nanoseconds = max(0, (deadline - .now).nanoseconds)
        state.timer.schedule(deadline: .now() + .nanoseconds(Int(min(nanoseconds, Int64(Int.max)))))
    }

    /// On the timer: runs every action whose deadline has come, and sets the timer for the next.
    private func fire() {
        let due = state.withLock { state -> [any ScriptedPauseAction] in
            let now = Instant.now
            var due: [any ScriptedPauseAction] = []
            state.armed = nil
            while let first = state.earliest() {
                guard first <= now else {
                    arm(first, &state)
                    break
                }
                let id = state.heap[0].id
                state.popMin()
                if let action = state.waiting.removeValue(forKey: id) { due.append(action) }
            }
            return due
        }
        for action in due { action.pauseEnded() }
    }
}

private extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds.multipliedReportingOverflow(by: 1_000_000_000).overflow
            ? .max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
