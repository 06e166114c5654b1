/// An in-memory screen for tests and frame snapshots: keeps the last frame it was shown.
@MainActor
public final class TextGridScreen: Screen {
    public var size: ScreenSize
    /// The last frame presented (blank before the first).
    public private(set) var frame: Frame
    /// How many frames were presented.
    public private(set) var presentCount = 0
    /// How many cells the last present changed (what curses would have written).
    public private(set) var lastChangedCells = 0

    /// A blank screen of `size`.
    public init(size: ScreenSize) {
        self.size = size
        self.frame = Frame(size: size)
    }

    /// Keeps `frame` and counts the cells curses would have written.
    public func present(_ frame: Frame) {
        lastChangedCells = FrameDiff.changes(from: presentCount == 0 ? nil : self.frame, to: frame).count
        self.frame = frame
        presentCount += 1
    }

    /// The screen as text, one line per row.
    public var text: String { frame.text }

    /// A snapshot: the text in a border, then the style of every row that is not plain.
    public var snapshot: String {
        let width = frame.size.columns
        var lines = ["┌" + String(repeating: "─", count: width) + "┐"]
        for row in 0..<frame.size.rows {
            var line = ""
            var used = 0
            for column in 0..<width where !frame[row, column].isContinuation {
                line += frame[row, column].text
                used += frame[row, column].text.isEmpty ? 0 : (column + 1 < width && frame[row, column + 1].isContinuation ? 2 : 1)
            }
            lines.append("│" + line + String(repeating: " ", count: max(0, width - used)) + "│")
        }
        lines.append("└" + String(repeating: "─", count: width) + "┘")
        if let cursor = frame.cursor { lines.append("cursor: row \(cursor.row), column \(cursor.column)") }
        let styled = (0..<frame.size.rows).compactMap { row -> String? in
            let codes = frame.styleCodes(row)
            return codes.isEmpty ? nil : String(format: "%3d ", row) + codes
        }
        if !styled.isEmpty {
            lines.append("styles (. plain, b bold, d dim, r reverse, capitals colours):")
            lines += styled
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
