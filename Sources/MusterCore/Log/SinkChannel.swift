import Dispatch
import Foundation

/// One sink's own queue of records and the serial dispatch queue that writes them: many
/// records in one write, and a sink that stalls (a full pipe nobody reads) holds back only itself.
///
/// `append` never waits: records collect in a `RecordBuffer` (bounded under a flood of progress
/// lines) while a write is under way, and the next write takes all of them at once. A channel
/// that follows another (an output following the log) writes a batch only once the one it
/// follows has written every record handed to it before: the follower never gets ahead, and a
/// stalled follower never holds back the one it follows.
final class SinkChannel: Sendable {
    private struct State {
        var buffer: RecordBuffer
        /// A drain is queued or running on `queue`.
        var draining = false
        /// Records taken from the buffer and written (or failed), each coalesced line counted.
        var done = 0
        /// The most records ever waiting at once (for tests of the bound).
        var mostWaiting = 0
        var closed = false
        /// Given up on (stuck): its followers stop waiting for it.
        var abandoned = false
        var failed = false
        var waiters: [(target: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    let sink: any SessionRecordSink
    private let queue: DispatchQueue
    private let state: Locked<State>
    private let onFirstFailure: @Sendable (String) -> Void
    /// The channel this one never gets ahead of (the log's), if any.
    private let leader: SinkChannel?
    /// Wakes followers blocked on their own queues in `waitWritten` when a write ends.
    private let progress = NSCondition()

    /// Most records written in one `write`, so that one write stays a few hundred kilobytes.
    private static let batchLimit = 1024

    init(
        sink: any SessionRecordSink, coalescingThreshold: Int, onFirstFailure: @escaping @Sendable (String) -> Void,
        following leader: SinkChannel? = nil
    ) {
        self.sink = sink
        self.queue = DispatchQueue(label: "muster.session-recorder.sink")
        self.state = Locked(State(buffer: RecordBuffer(coalescingThreshold: coalescingThreshold)))
        self.onFirstFailure = onFirstFailure
        self.leader = leader
    }

    /// Queues `record` for the sink (text deltas only if the sink wants them). Never waits.
    func append(_ record: SessionRecord) {
        if record.event.isTextDelta, !sink.wantsTextDeltas { return }
        let startDrain = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.buffer.append(record)
            state.mostWaiting = max(state.mostWaiting, state.buffer.count)
            defer { state.draining = true }
            return !state.draining
        }
        if startDrain { queue.async { [self] in drain() } }
    }

    /// Records handed in so far (coalesced lines counted one by one).
    var admitted: Int { state.withLock { $0.buffer.admitted } }

    /// Records handed in and not yet written (coalesced lines counted one by one).
    var unwritten: Int { state.withLock { $0.buffer.admitted - $0.done } }

    /// Records waiting now, and the most that ever waited at once.
    var waiting: (now: Int, most: Int) { state.withLock { ($0.buffer.count, $0.mostWaiting) } }

    /// Waits until the first `target` records handed in are written, or `patience` passes with
    /// no write finishing; true when they were written.
    func waitUntilWritten(_ target: Int, patience: Duration) async -> Bool {
        var last = state.withLock { $0.done }
        while last < target {
            // True when the patience ran out before the waiter was resumed.
            let timedOut = await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    await self.suspend(until: target)
                    return false
                }
                group.addTask {
                    try? await Task.sleep(for: patience)
                    return !Task.isCancelled
                }
                let first = await group.next() ?? false
                group.cancelAll()
                // The suspended child must end before the group can: a wait that gave up
                // resumes every waiter, and each checks again for itself.
                self.resumeWaiters(all: true)
                return first
            }
            let now = state.withLock { $0.done }
            // Still writing, just slowly: keep waiting as long as writes finish.
            if timedOut, now < target, now == last { return false }
            last = now
        }
        return true
    }

    /// Closes the sink once every record before is written; no later record is taken.
    func close() {
        state.withLock { $0.closed = true }
        queue.async { [sink] in sink.close() }
    }

    /// Stops taking records without waiting for the sink (it is stuck); its followers go on.
    func abandon() {
        state.withLock {
            $0.closed = true
            $0.abandoned = true
        }
        wakeFollowers()
    }

    /// Blocks the calling thread, a follower's own serial queue (never the cooperative pool),
    /// until the first `target` records handed in are written or the channel is abandoned.
    private func waitWritten(_ target: Int) {
        progress.lock()
        defer { progress.unlock() }
        // The count is read under `progress`, and a write's end signals under it: no wake-up
        // can fall between the check and the wait.
        while !state.withLock({ $0.done >= target || $0.abandoned }) {
            progress.wait()
        }
    }

    private func wakeFollowers() {
        progress.lock()
        progress.broadcast()
        progress.unlock()
    }

    private func suspend(until target: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.done >= target { return true }
                state.waiters.append((target, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Resumes the waiters whose records are written (all of them when `all`: a wait gave up).
    private func resumeWaiters(all: Bool = false) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            var ready: [CheckedContinuation<Void, Never>] = []
            var rest: [(target: Int, continuation: CheckedContinuation<Void, Never>)] = []
            for waiter in state.waiters {
                if all || waiter.target <= state.done { ready.append(waiter.continuation) } else { rest.append(waiter) }
            }
            state.waiters = rest
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    /// Runs on `queue`: writes everything waiting, batch after batch, until nothing waits.
    private func drain() {
        while true {
            let batch = state.withLock { state -> (records: [SessionRecord], count: Int)? in
                guard state.buffer.count > 0 else {
                    state.draining = false
                    return nil
                }
                let taken = Array(state.buffer.takeAll())
                return (taken, taken.reduce(0) { $0 + $1.event.standsFor })
            }
            guard let batch else { return }
            // Every record of the batch was handed to the leader before it was to this channel
            // (the recorder appends to the log's channel first, in one step): once the leader has
            // written what it had been handed by now, none of the batch is ahead of it.
            if let leader { leader.waitWritten(leader.admitted) }
            var start = 0
            while start < batch.records.count {
                let end = min(start + Self.batchLimit, batch.records.count)
                var text = ""
                for record in batch.records[start..<end] { text += record.jsonLine + "\n" }
                do throws(SessionSinkError) {
                    try sink.write(text)
                } catch {
                    let first = state.withLock { state -> Bool in
                        defer { state.failed = true }
                        return !state.failed
                    }
                    if first { onFirstFailure(error.message) }
                }
                start = end
            }
            state.withLock { $0.done += batch.count }
            wakeFollowers()
            resumeWaiters()
        }
    }
}
