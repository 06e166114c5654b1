/// Splits a command line into words; the curses front end plugs in libedit's quote-aware one.
public protocol CommandTokenizer: Sendable {
    /// The words of `line`, or an error a person can act on (e.g. an unterminated quote).
    func tokenize(_ line: String) throws(CommandTokenizerError) -> [String]
}

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

/// The fallback tokenizer: words are separated by whitespace; quotes have no meaning.
public struct WhitespaceTokenizer: CommandTokenizer {
    /// The whitespace tokenizer.
    public init() {}

    /// The blank-separated words of `line`; never fails.
    public func tokenize(_ line: String) throws(CommandTokenizerError) -> [String] {
        line.split(whereSeparator: \.isWhitespace).map(String.init)
    }
}
