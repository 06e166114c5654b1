import MusterCore

/// How a headless run (`muster -p`) reports and what it does with background work.
public struct HeadlessOptions: Sendable, Equatable {
    /// What goes to standard output.
    public enum OutputFormat: String, Sendable, Equatable, CaseIterable {
        /// The final answer only.
        case text
        /// One JSON object at the end: the `result` record.
        case json
        /// One JSON object per line for every session record, as it happens.
        case streamJSON = "stream-json"
    }

    /// What happens to background tasks still running when the main agent's turn ends.
    public enum BackgroundPolicy: Sendable, Equatable {
        /// Wait for them (at most `timeout`, when given), let the main agent take their results
        /// in a final turn, then cancel whatever still runs.
        case wait(timeout: Duration?)
        /// Cancel them at once.
        case noWait
    }

    public var outputFormat: OutputFormat
    public var background: BackgroundPolicy
    /// How long cancelled tasks get to stop before Muster exits anyway; nil: the registry's default.
    public var shutdownGrace: Duration?

    public init(outputFormat: OutputFormat = .text, background: BackgroundPolicy = .wait(timeout: nil), shutdownGrace: Duration? = nil) {
        self.outputFormat = outputFormat
        self.background = background
        self.shutdownGrace = shutdownGrace
    }
}
