import MusterCore
import MusterPresentation

/// The transcript's lines and the scroll position: follows new output unless scrolled up.
public struct TranscriptBuffer: Sendable {
    /// Lines kept; the oldest are dropped beyond this.
    public let capacity: Int
    private var lines: [TranscriptLine] = []
    /// Wrapped rows per line at `cachedWidth` (nil: not wrapped yet).
    private var wrapped: [[String]?] = []
    private var cachedWidth = 0
    /// Rows scrolled up from the bottom; 0 follows new output.
    public private(set) var scrollOffset = 0
    /// Lines added while scrolled up.
    public private(set) var unseenLines = 0

    /// An empty transcript keeping about `capacity` lines.
    public init(capacity: Int = 5000) {
        self.capacity = max(1, capacity)
    }

    /// Number of lines kept (at most `capacity` and a quarter more, before old ones are dropped).
    public var count: Int { lines.count }

    /// True when the view is scrolled up from the newest output.
    public var isScrolledUp: Bool { scrollOffset > 0 }

    /// Adds lines; when scrolled up, the view stays where it is.
    public mutating func append(_ newLines: [TranscriptLine], width: Int) {
        guard !newLines.isEmpty else { return }
        for line in newLines {
            lines.append(line)
            wrapped.append(nil)
            if scrollOffset > 0 {
                scrollOffset += rows(at: lines.count - 1, width: width).count
                unseenLines += 1
            }
        }
        // Trimmed in batches, so dropping old lines costs O(1) per line on average.
        let excess = lines.count - capacity
        if excess > capacity / 4 {
            lines.removeFirst(excess)
            wrapped.removeFirst(excess)
        }
    }

    /// Drops every line.
    public mutating func clear() {
        lines.removeAll()
        wrapped.removeAll()
        scrollOffset = 0
        unseenLines = 0
    }

    /// Scrolls up (positive) or down (negative) by `rows`, within what there is to see.
    public mutating func scroll(by rows: Int, width: Int, height: Int) {
        let limit = max(0, totalRows(width: width) - height)
        scrollOffset = min(max(0, scrollOffset + rows), limit)
        if scrollOffset == 0 { unseenLines = 0 }
    }

    /// Jumps back to the newest output.
    public mutating func scrollToBottom() {
        scrollOffset = 0
        unseenLines = 0
    }

    /// The rows to show in a `height`-row area, oldest first, with `trailing` (the message being
    /// streamed, queued input) last.
    public mutating func visibleRows(width: Int, height: Int, trailing: [TranscriptLine] = []) -> [(text: String, style: TranscriptLine.Style)] {
        guard height > 0, width > 0 else { return [] }
        var needed = height + scrollOffset
        var collected: [(text: String, style: TranscriptLine.Style)] = []
        for line in trailing.reversed() where needed > 0 {
            let rows = Self.rows(of: line, width: width).suffix(needed).reversed().map { ($0, line.style) }
            collected += rows
            needed -= rows.count
        }
        var index = lines.count - 1
        while needed > 0, index >= 0 {
            let rows = self.rows(at: index, width: width)
            for row in rows.reversed() where needed > 0 {
                collected.append((row, lines[index].style))
                needed -= 1
            }
            index -= 1
        }
        // `collected` runs newest first; skip the rows below the view, keep `height` rows.
        let visible = collected.dropFirst(scrollOffset).prefix(height)
        return visible.reversed()
    }

    /// All the text, one entry per line (for tests and plain dumps).
    public var texts: [String] { lines.map(\.text) }

    private func totalRows(width: Int) -> Int {
        var total = 0
        for index in lines.indices { total += Self.rows(of: lines[index], width: width).count }
        return total
    }

    private mutating func rows(at index: Int, width: Int) -> [String] {
        if width != cachedWidth {
            cachedWidth = width
            for i in wrapped.indices { wrapped[i] = nil }
        }
        if let rows = wrapped[index] { return rows }
        let rows = Self.rows(of: lines[index], width: width)
        wrapped[index] = rows
        return rows
    }

    private static func rows(of line: TranscriptLine, width: Int) -> [String] {
        line.wraps ? TextWrapper.wrap(line.text, width: width) : [DisplayWidth.truncate(line.text, to: width)]
    }
}
