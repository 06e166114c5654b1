import DequeModule

/// The records waiting for one sink, bounded under a flood: past `coalescingThreshold` waiting
/// records, a progress line joins the waiting `tool_progress` record of its call (which then
/// says how many lines it stands for) instead of becoming a record of its own.
///
/// Only progress lines come in floods (a command's output); every other record is kept, so the
/// buffer holds at most the threshold plus one record per call plus the other records.
struct RecordBuffer {
    /// Waiting records become one per call from this many on.
    let coalescingThreshold: Int
    private var records = Deque<SessionRecord>()
    /// Absolute position of the newest waiting progress record of each call.
    private var progressPositions: [String: Int] = [:]
    /// Absolute position of `records.first`.
    private var head = 0
    /// Records handed in, each coalesced progress line counted.
    private(set) var admitted = 0

    init(coalescingThreshold: Int) {
        self.coalescingThreshold = max(1, coalescingThreshold)
    }

    /// Records waiting to be written.
    var count: Int { records.count }

    mutating func append(_ record: SessionRecord) {
        admitted += record.event.standsFor
        guard case .toolProgress(let agent, let callID, let line, let lines) = record.event else {
            records.append(record)
            return
        }
        if records.count >= coalescingThreshold, let position = progressPositions[callID] {
            let index = position - head
            if case .toolProgress(_, _, _, let waiting) = records[index].event {
                // The newest line stands for them all: it says how far the work has got, and
                // the record takes that line's time, so the log says truly how far it reaches
                // (with the first line's time, a record that kept joining looked seconds old).
                records[index].event = .toolProgress(agent: agent, callID: callID, line: line, lines: waiting + lines)
                records[index].time = record.time
                return
            }
        }
        progressPositions[callID] = head + records.count
        records.append(record)
    }

    /// Everything waiting, oldest first; later progress lines no longer join these.
    mutating func takeAll() -> Deque<SessionRecord> {
        defer {
            head += records.count
            records = Deque()
            progressPositions.removeAll(keepingCapacity: true)
        }
        return records
    }
}
