/// What a slash command (or the answer to its question) produced, as data: the front end
/// decides how it looks. Published as `SessionEvent.reply` after the `slashCommand` event.
///
/// Interface placeholder for issue 15 item 1; the "ops in" work fills in the cases.
public enum CommandReply: Sendable, Equatable, Codable {
    /// A line of text that is not presentation-specific (e.g. a parse error).
    case notice(String, isWarning: Bool)
}
