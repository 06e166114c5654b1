/// What running a slash command produced: lines for the transcript and, maybe, an effect.
public struct CommandResult: Sendable, Equatable {
    /// Lines to add to the transcript (already inert).
    public var lines: [TranscriptLine]
    /// What the front end must do beyond showing the lines.
    public var effect: CommandEffect?

    /// A result with `lines` and an optional `effect`.
    public init(lines: [TranscriptLine] = [], effect: CommandEffect? = nil) {
        self.lines = lines
        self.effect = effect
    }

    /// A one-line result.
    public static func line(_ text: String, style: TranscriptLine.Style = .notice) -> CommandResult {
        CommandResult(lines: [TranscriptLine(text, style: style)])
    }
}
