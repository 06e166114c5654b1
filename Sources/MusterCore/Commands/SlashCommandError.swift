/// A line that is not a valid command, with the message to show.
public struct SlashCommandError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What to show the person (a usage line or an unknown-command hint).
    public let message: String

    /// An error with the message to show.
    public init(_ message: String) { self.message = message }

    public var description: String { message }

    /// The usage line of one command form: `Usage: /tasks stop <id>`.
    static func usage(_ descriptor: SlashCommandDescriptor) -> SlashCommandError {
        SlashCommandError("Usage: \(descriptor.usage)")
    }

    /// `Unknown command /foo — try /help`, plus a suggestion when a real command is close.
    static func unknownCommand(_ typed: String) -> SlashCommandError {
        let shown = typed.count > 40 ? typed.prefix(39) + "…" : Substring(typed)
        var message = "Unknown command \(shown) — try /help"
        if let suggestion = CommandSuggestion.closest(to: String(typed.dropFirst())) {
            message += " (did you mean /\(suggestion)?)"
        }
        return SlashCommandError(message)
    }
}
