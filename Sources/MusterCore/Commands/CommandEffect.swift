/// Something a command asks its front end to do.
public enum CommandEffect: Sendable, Equatable {
    /// Empty the transcript.
    case clearTranscript
    /// Stop everything and exit.
    case quit
    /// Ask the person first; pass the answer to `CommandProcessor.answer(_:to:)`.
    case confirm(ConfirmationRequest)
}
