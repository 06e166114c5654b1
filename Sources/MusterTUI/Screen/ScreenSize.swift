/// A screen's size in rows and columns.
public struct ScreenSize: Hashable, Sendable, CustomStringConvertible {
    public var rows: Int
    public var columns: Int

    /// A size; negative values count as zero.
    public init(rows: Int, columns: Int) {
        self.rows = max(0, rows)
        self.columns = max(0, columns)
    }

    public var description: String { "\(columns)x\(rows)" }
}
