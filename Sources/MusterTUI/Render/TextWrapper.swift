import MusterCore
import MusterPresentation

/// Breaks a line into rows of at most a given display width: at spaces when it can, with a
/// hanging indent so that continuation rows line up under the text, not under its marker.
public enum TextWrapper {
    /// Markers after which continuation rows are indented (`› `, `→ `, `│ ` ...).
    static let markers: Set<String> = ["›", "→", "✗", "│", "·", "⚠", "…", "•"]

    /// The rows of `text` at `width` columns (at least one row, possibly empty).
    public static func wrap(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [""] }
        let clusters = DisplayWidth.clusters(of: text)
        guard clusters.reduce(0, { $0 + $1.width }) > width else { return [text] }

        let indentWidth = min(hangingIndent(of: clusters), width / 2)
        let indent = String(repeating: " ", count: indentWidth)
        var rows: [String] = []
        var start = 0
        var first = true
        while start < clusters.count {
            let available = first ? width : width - indentWidth
            var used = 0
            var end = start
            var lastSpace: Int?
            while end < clusters.count, used + clusters[end].width <= available {
                if clusters[end].text == " ", end > start { lastSpace = end }
                used += clusters[end].width
                end += 1
            }
            if end < clusters.count, let space = lastSpace, clusters[end].text != " " {
                end = space
            }
            if end == start { end = start + 1 } // A character wider than the row: place it anyway.
            var row = clusters[start..<end].map(\.text).joined()
            while row.hasSuffix(" ") { row.removeLast() }
            rows.append(first ? row : indent + row)
            start = end
            while start < clusters.count, clusters[start].text == " " { start += 1 }
            first = false
        }
        return rows.isEmpty ? [""] : rows
    }

    /// Leading spaces, plus a marker and its space when the text starts with one.
    private static func hangingIndent(of clusters: [DisplayWidth.Cluster]) -> Int {
        var index = 0
        while index < clusters.count, clusters[index].text == " " { index += 1 }
        var indent = index
        if index + 1 < clusters.count, markers.contains(clusters[index].text), clusters[index + 1].text == " " {
            indent += clusters[index].width + 1
        }
        return indent
    }
}
