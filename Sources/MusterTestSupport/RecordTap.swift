import MusterCore

/// A sink that hands every record it is given to the test, so a test can wait until records
/// have been written (to the tap: the log file has its own queue, see `flushLog`).
public final class RecordTap: SessionRecordSink {
    private let continuation: AsyncStream<SessionRecord>.Continuation
    private let records: AsyncStream<SessionRecord>
    private let seen = Locked<[SessionRecord]>([])

    public init() {
        (records, continuation) = AsyncStream<SessionRecord>.makeStream()
    }

    public var displayName: String { "the test tap" }
    public var wantsTextDeltas: Bool { false }

    public func write(_ line: String) throws(SessionSinkError) {
        // A write may carry many records, one a line.
        for text in line.split(separator: "\n") {
            if let record = try? SessionRecord.parse(text) { continuation.yield(record) }
        }
    }

    public func close() { continuation.finish() }

    /// Waits until the records written so far satisfy `condition` (one reader at a time).
    public func waitUntil(_ condition: ([SessionRecord]) -> Bool) async {
        if condition(seen.withLock { $0 }) { return }
        for await record in records {
            let all = seen.withLock { seen in
                seen.append(record)
                return seen
            }
            if condition(all) { return }
        }
    }
}
