import CLibedit
import MusterCore

/// Splits command lines with libedit's quote-aware tokenizer (`tok_str`): `"a b"` is one word.
public struct LibeditTokenizer: CommandTokenizer {
    /// The libedit tokenizer.
    public init() {}

    /// The words of `line`, quotes and backslashes honoured; an open quote is an error.
    public func tokenize(_ line: String) throws(CommandTokenizerError) -> [String] {
        // A tokenizer per call: libedit's is stateful and not thread-safe, and making one is cheap.
        guard let tokenizer = tok_init(nil) else { throw CommandTokenizerError("Could not read the command.") }
        defer { tok_end(tokenizer) }
        var count: Int32 = 0
        var words: UnsafeMutablePointer<UnsafePointer<CChar>?>?
        // tok_str wants a complete line: a trailing newline ends the last word.
        let status = tok_str(tokenizer, line + "\n", &count, &words)
        guard status == 0 else {
            // rc > 0: a quote or backslash is still open (rc 2 with argc 0 for `"`).
            if status > 0 { throw .unterminatedQuote }
            throw CommandTokenizerError("Could not read the command.")
        }
        guard let words else { return [] }
        // The tokenizer owns argv: copy the words out before tok_end.
        return (0..<Int(count)).compactMap { words[$0].map { String(cString: $0) } }
    }
}
