/// Why a line could not be split into words.
public struct CommandTokenizerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What to show the person.
    public let message: String

    /// An error with the message to show.
    public init(_ message: String) { self.message = message }

    public var description: String { message }

    /// A quote was opened and never closed.
    public static let unterminatedQuote = CommandTokenizerError("Unterminated quote in command: close it or remove it.")
}
