import MusterCore
/// One line of the transcript as every front end shows it: inert text plus what it means.
public struct TranscriptLine: Sendable, Equatable {
    /// What a line is, so a front end can colour it (or not, under `NO_COLOR`).
    public enum Style: Sendable, Equatable, CaseIterable {
        /// Ordinary text: the assistant's answer, command output.
        case plain
        /// What the person typed.
        case user
        /// A tool call of the main agent.
        case tool
        /// Output or progress of a tool call, shown quieter.
        case toolOutput
        /// Muster speaking: started, stopped, hints.
        case notice
        /// Good news: a background agent completed.
        case success
        /// Something to look at: a warning, a cancellation.
        case warning
        /// Something failed.
        case error
        /// A table heading or label.
        case heading
        /// Background detail, shown dim.
        case dim
    }

    /// The text, free of control characters (see `TerminalSanitizer`).
    public let text: String
    public let style: Style
    /// False for lines that are cut at the screen edge instead of wrapped (table rows).
    public let wraps: Bool

    /// A line from any text: control characters are made inert here, once.
    public init(_ text: some StringProtocol, style: Style = .plain, wraps: Bool = true) {
        self.text = TerminalSanitizer.sanitize(text)
        self.style = style
        self.wraps = wraps
    }

    /// One line per line of `text`, all in one style.
    public static func lines(_ text: some StringProtocol, style: Style = .plain, indent: String = "") -> [TranscriptLine] {
        TerminalSanitizer.lines(of: text).map { TranscriptLine(indent + $0, style: style) }
    }

    /// An empty separator line.
    public static let blank = TranscriptLine("")
}
