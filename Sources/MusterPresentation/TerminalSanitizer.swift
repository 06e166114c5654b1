import MusterCore
/// Makes text from models and tools inert before it reaches a terminal: control characters
/// and escape sequences are shown in caret notation (`ESC` as `^[`, `BEL` as `^G`), never sent.
public enum TerminalSanitizer {
    /// Columns between tab stops when a tab is expanded.
    public static let tabWidth = 4

    /// One line made safe: tabs become spaces, every other control character is shown visibly.
    ///
    /// A newline inside `text` is shown as `^J`; use `lines(of:)` to split text into lines first.
    public static func sanitize(_ text: some StringProtocol) -> String {
        // Most text has nothing to replace: checking is far cheaper than rebuilding it.
        if !text.unicodeScalars.contains(where: needsReplacing) { return String(text) }
        var output = String.UnicodeScalarView()
        var column = 0
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x09:
                let spaces = tabWidth - column % tabWidth
                output.append(contentsOf: repeatElement(" ", count: spaces))
                column += spaces
            case 0x00..<0x20:
                output.append("^")
                output.append(Unicode.Scalar(UInt8(scalar.value + 0x40)))
                column += 2
            case 0x7F:
                output.append(contentsOf: "^?".unicodeScalars)
                column += 2
            case 0x80..<0xA0:
                // C1 controls (0x9B is a one-byte CSI on some terminals): `cat -v` notation.
                output.append(contentsOf: "M-^".unicodeScalars)
                output.append(Unicode.Scalar(UInt8(scalar.value - 0x80 + 0x40)))
                column += 4
            case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029, 0xFFF9...0xFFFB:
                // Bidirectional marks, overrides and separators can reorder or break what is shown.
                var hex = String(scalar.value, radix: 16, uppercase: true)
                // U+061C has three hex digits: shown with four, like the others.
                if hex.count < 4 { hex = String(repeating: "0", count: 4 - hex.count) + hex }
                output.append(contentsOf: "<U+\(hex)>".unicodeScalars)
                column += 4 + hex.count
            default:
                output.append(scalar)
                column += 1
            }
        }
        return String(output)
    }

    /// True for the scalars `sanitize` replaces.
    private static func needsReplacing(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x20..<0x7F: false
        case 0x00..<0x20, 0x7F..<0xA0: true
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029, 0xFFF9...0xFFFB: true
        default: false
        }
    }

    /// Splits text into lines (on `\n` and `\r\n`) and sanitizes each one.
    public static func lines(of text: some StringProtocol) -> [String] {
        // Split on scalars: in Swift "\r\n" is one Character, which a Character search misses.
        var lines: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar == "\n" {
                if current.last == "\r" { current.removeLast() }
                lines.append(sanitize(String(current)))
                current = String.UnicodeScalarView()
            } else {
                current.append(scalar)
            }
        }
        lines.append(sanitize(String(current)))
        return lines
    }

    /// True when `text` would be shown unchanged.
    public static func isInert(_ text: some StringProtocol) -> Bool {
        sanitize(text) == String(text)
    }
}
