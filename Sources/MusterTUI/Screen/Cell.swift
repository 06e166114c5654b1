/// One terminal cell: the text drawn there and its style.
///
/// A wide character occupies its cell and the next; that next cell holds an empty
/// `text` (a continuation) and is never drawn on its own.
public struct Cell: Hashable, Sendable {
    /// A spacing character plus any zero-width ones after it; empty for a continuation.
    public var text: String
    public var style: CellStyle

    /// A cell showing `text` in `style`.
    public init(_ text: String, style: CellStyle = .plain) {
        self.text = text
        self.style = style
    }

    /// A blank cell.
    public static let blank = Cell(" ")

    /// True for the right half of a wide character.
    public var isContinuation: Bool { text.isEmpty }
}
