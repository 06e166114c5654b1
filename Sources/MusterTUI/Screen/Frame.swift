import MusterCore
import MusterPresentation

/// A complete picture of the screen: a grid of cells and where the cursor sits.
public struct Frame: Hashable, Sendable {
    public let size: ScreenSize
    /// Row-major cells, `size.rows * size.columns` of them.
    public private(set) var cells: [Cell]
    /// Where the terminal cursor goes (row, column); nil hides it.
    public var cursor: (row: Int, column: Int)? {
        get { cursorRow.map { ($0, cursorColumn) } }
        set {
            cursorRow = newValue?.row
            cursorColumn = newValue?.column ?? 0
        }
    }

    private var cursorRow: Int?
    private var cursorColumn = 0

    /// A blank frame.
    public init(size: ScreenSize) {
        self.size = size
        self.cells = Array(repeating: .blank, count: size.rows * size.columns)
    }

    /// The cell at `row`, `column` (both must be inside the frame).
    public subscript(row: Int, column: Int) -> Cell {
        get { cells[row * size.columns + column] }
        set { cells[row * size.columns + column] = newValue }
    }

    /// Draws `text` from `column` on `row`, clipped to `limit` columns (default: the row's end).
    ///
    /// Returns the column after the last one drawn. A wide character that does not fit
    /// whole is replaced by a space, never split.
    @discardableResult
    public mutating func draw(_ text: String, row: Int, column: Int, style: CellStyle = .plain, limit: Int? = nil) -> Int {
        guard row >= 0, row < size.rows, column >= 0 else { return column }
        let end = min(size.columns, limit.map { column + max(0, $0) } ?? size.columns)
        var x = column
        // Printable ASCII: one cell per byte, no cluster splitting (most of every frame).
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            for byte in text.utf8 {
                guard x < end else { break }
                clearWideNeighbours(row: row, column: x, width: 1)
                self[row, x] = Cell(Self.asciiCells[Int(byte - 0x20)], style: style)
                x += 1
            }
            return x
        }
        DisplayWidth.forEachCluster(of: text) { cluster -> Bool in
            guard x < end else { return false }
            if x + cluster.width > end {
                self[row, x] = Cell(" ", style: style)
                x += 1
                return false
            }
            clearWideNeighbours(row: row, column: x, width: cluster.width)
            self[row, x] = Cell(cluster.text, style: style)
            if cluster.width == 2 { self[row, x + 1] = Cell("", style: style) }
            x += cluster.width
            return true
        }
        return x
    }

    /// The text of a cell for each printable ASCII byte, from 0x20.
    private static let asciiCells: [String] = (0x20..<0x7F).map { String(UnicodeScalar(UInt8($0))) }

    /// Fills `count` cells of `row` from `column` with `character`.
    public mutating func fill(row: Int, from column: Int, count: Int, with character: String = " ", style: CellStyle = .plain) {
        guard row >= 0, row < size.rows else { return }
        let start = max(0, column)
        let end = min(size.columns, column + count)
        guard start < end else { return }
        clearWideNeighbours(row: row, column: start, width: end - start)
        for x in start..<end { self[row, x] = Cell(character, style: style) }
    }

    /// Keeps wide characters whole when part of one is overwritten: the other half becomes a space.
    private mutating func clearWideNeighbours(row: Int, column: Int, width: Int) {
        if self[row, column].isContinuation, column > 0 {
            self[row, column - 1] = Cell(" ", style: self[row, column - 1].style)
        }
        let after = column + width
        if after < size.columns, self[row, after].isContinuation {
            self[row, after] = Cell(" ", style: self[row, after].style)
        }
    }

    /// The frame as text, one line per row, trailing blanks trimmed (for snapshots and tests).
    public var text: String {
        (0..<size.rows).map(rowText).joined(separator: "\n")
    }

    /// One row as text, trailing blanks trimmed.
    public func rowText(_ row: Int) -> String {
        var line = ""
        for column in 0..<size.columns where !self[row, column].isContinuation {
            line += self[row, column].text
        }
        while line.last == " " { line.removeLast() }
        return line
    }

    /// One letter per cell saying its style (see `CellStyle.snapshotCode`), trailing plain cells trimmed.
    public func styleCodes(_ row: Int) -> String {
        var codes = String((0..<size.columns).map { self[row, $0].style.snapshotCode })
        while codes.last == "." { codes.removeLast() }
        return codes
    }
}
