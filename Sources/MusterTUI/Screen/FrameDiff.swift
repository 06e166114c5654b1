/// The cells that differ between what a screen shows and the next frame, row by row.
///
/// Both screens use it: curses writes exactly these cells, the text grid counts them.
public enum FrameDiff {
    /// One changed cell to write.
    public struct Change: Equatable, Sendable {
        public let row: Int
        public let column: Int
        public let cell: Cell
    }

    /// Changes that turn `old` into `new`; every cell when `old` is nil or another size.
    ///
    /// Continuation cells are never written on their own: the wide character to their left is.
    public static func changes(from old: Frame?, to new: Frame) -> [Change] {
        var changes: [Change] = []
        let full = old == nil || old?.size != new.size
        for row in 0..<new.size.rows {
            for column in 0..<new.size.columns {
                let cell = new[row, column]
                if !full, let old, old[row, column] == cell { continue }
                if cell.isContinuation {
                    // The left half carries the character; make sure it is written too.
                    if column > 0, changes.last.map({ $0.row != row || $0.column != column - 1 }) ?? true {
                        changes.append(Change(row: row, column: column - 1, cell: new[row, column - 1]))
                    }
                    continue
                }
                changes.append(Change(row: row, column: column, cell: cell))
            }
        }
        return changes
    }
}
