/// A destination for session records: the log file, or a headless `stream-json` output.
///
/// The recorder calls `write` and `close` on its own serial I/O queue, one line at a time,
/// never on an agent's path; a blocking write only delays the records behind it.
public protocol SessionRecordSink: Sendable {
    /// What the sink is, for messages (`the session log /path/x.jsonl`).
    var displayName: String { get }
    /// Whether `text_delta` records go here (live streams want them; the log file does not).
    var wantsTextDeltas: Bool { get }
    /// Writes one line (`line` ends with a newline) through to the OS, or throws why it could not.
    func write(_ line: String) throws(SessionSinkError)
    /// Releases the sink; later writes fail.
    func close()
}

/// Why a sink could not take a record.
public struct SessionSinkError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
