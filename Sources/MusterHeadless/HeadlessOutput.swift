import MusterCore

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
