import MusterCore

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
