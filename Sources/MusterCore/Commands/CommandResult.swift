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

/// Something a command asks its front end to do.
public enum CommandEffect: Sendable, Equatable {
    /// Empty the transcript.
    case clearTranscript
    /// Stop everything and exit.
    case quit
    /// Ask the person first; pass the answer to `CommandProcessor.answer(_:to:)`.
    case confirm(ConfirmationRequest)
}

/// A question a command needs answered before it acts, e.g. `Cancel 3 running tasks? (y/n)`.
public struct ConfirmationRequest: Sendable, Equatable {
    /// The action waiting for a yes.
    public enum Action: Sendable, Equatable {
        case cancelAll
    }

    /// The question, ending in `(y/n)`.
    public let prompt: String
    public let action: Action

    /// A question `prompt` guarding `action`.
    public init(prompt: String, action: Action) {
        self.prompt = prompt
        self.action = action
    }

    /// Reads an answer: true for yes (`y`, `yes`), false for no (`n`, `no`, empty), nil otherwise.
    public static func interpret(_ answer: String) -> Bool? {
        switch answer.trimmingCharacters(in: .whitespaces).lowercased() {
        case "y", "yes": true
        case "n", "no", "": false
        default: nil
        }
    }
}
