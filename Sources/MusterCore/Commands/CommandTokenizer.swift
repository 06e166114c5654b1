/// Splits a command line into words; the curses front end plugs in libedit's quote-aware one.
public protocol CommandTokenizer: Sendable {
    /// The words of `line`, or an error a person can act on (e.g. an unterminated quote).
    func tokenize(_ line: String) throws(CommandTokenizerError) -> [String]
}
