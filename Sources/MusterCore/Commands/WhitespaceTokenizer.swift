/// The fallback tokenizer: words are separated by whitespace; quotes have no meaning.
public struct WhitespaceTokenizer: CommandTokenizer {
    /// The whitespace tokenizer.
    public init() {}

    /// The blank-separated words of `line`; never fails.
    public func tokenize(_ line: String) throws(CommandTokenizerError) -> [String] {
        line.split(whereSeparator: \.isWhitespace).map(String.init)
    }
}
