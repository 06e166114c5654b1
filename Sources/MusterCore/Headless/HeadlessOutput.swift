/// Where a headless run writes: standard output for the answer or the JSON, standard error
/// for notices. The CLI passes the real streams; tests pass a recorder of text.
public protocol HeadlessOutput: Sendable {
    /// Writes `text` to standard output as is; throws when it cannot (e.g. a closed pipe).
    func write(_ text: String) throws(SessionSinkError)
    /// Writes one notice line (no trailing newline needed) to standard error.
    func report(_ line: String)
    /// Whether standard output is a terminal: then the `text` answer is shown inert.
    var standardOutputIsTerminal: Bool { get }
}

extension HeadlessOutput {
    public var standardOutputIsTerminal: Bool { false }
}

/// The `stream-json` output: every session record, text deltas included, one line each,
/// through the same recorder (so the same schema and numbering) as the log.
public struct StreamJSONSink: SessionRecordSink {
    private let output: any HeadlessOutput

    public init(output: any HeadlessOutput) {
        self.output = output
    }

    public var displayName: String { "the stream-json output" }
    public var wantsTextDeltas: Bool { true }

    public func write(_ line: String) throws(SessionSinkError) {
        try output.write(line)
    }

    public func close() {}
}
