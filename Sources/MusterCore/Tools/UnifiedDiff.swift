/// A unified diff (`---`/`+++` headers, `@@` hunks with 3 lines of context) between two texts,
/// with the count of lines added and removed: what an edit's approval shows and what its
/// result says (`edited README.md (+3 −1)`).
///
/// Lines keep their terminators when compared, so a missing newline at the end is a change
/// (shown as `\ No newline at end of file`, as diff(1) does). The common prefix and suffix are
/// trimmed first; the middle is diffed by longest common subsequence when it is small enough
/// (`maxCells`), else shown as removed then added: always a correct diff, not always minimal.
public struct UnifiedDiff: Sendable, Equatable {
    /// The diff text; empty when the texts are equal.
    public let text: String
    public let added: Int
    public let removed: Int

    /// Cells of the LCS table at most (4 bytes each).
    static let maxCells = 4_000_000
    /// Lines of diff text kept at most; the rest is counted in a last line.
    static let maxLines = 2_000

    private enum Operation: Equatable {
        case same(Int, Int)
        case removed(Int)
        case added(Int)
    }

    public init(old: String, new: String, path: String, context: Int = 3) {
        let before = Self.lines(old)
        let after = Self.lines(new)
        let operations = Self.operations(before, after)
        added = operations.reduce(0) { if case .added = $1 { $0 + 1 } else { $0 } }
        removed = operations.reduce(0) { if case .removed = $1 { $0 + 1 } else { $0 } }
        guard added + removed > 0 else {
            text = ""
            return
        }
        var output = ["--- a/\(path)", "+++ b/\(path)"]
        output += Self.hunks(operations, before: before, after: after, context: context)
        if output.count > Self.maxLines {
            let dropped = output.count - Self.maxLines
            output = Array(output.prefix(Self.maxLines)) + ["… \(dropped) more diff lines"]
        }
        text = output.joined(separator: "\n") + "\n"
    }

    /// The summary a transcript shows: `(+3 −1)`.
    public var summary: String { "(+\(added) −\(removed))" }

    /// Lines with their terminators (the last one may lack it).
    static func lines(_ text: String) -> [Substring] {
        var result: [Substring] = []
        var start = text.startIndex
        var index = start
        while index < text.endIndex {
            let next = text.index(after: index)
            if text[index] == "\n" || text[index] == "\r\n" {
                result.append(text[start..<next])
                start = next
            }
            index = next
        }
        if start < text.endIndex { result.append(text[start...]) }
        return result
    }

    private static func operations(_ a: [Substring], _ b: [Substring]) -> [Operation] {
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix, a[a.count - 1 - suffix] == b[b.count - 1 - suffix] {
            suffix += 1
        }
        var result = (0..<prefix).map { Operation.same($0, $0) }
        let middleA = prefix..<(a.count - suffix)
        let middleB = prefix..<(b.count - suffix)
        let rows = middleA.count + 1
        let columns = middleB.count + 1
        if rows * columns <= maxCells, middleA.count > 0, middleB.count > 0 {
            // lcs[i * columns + j]: the LCS length of a[middleA.lowerBound + i...] and b[middleB.lowerBound + j...].
            var lcs = [Int32](repeating: 0, count: rows * columns)
            for i in stride(from: middleA.count - 1, through: 0, by: -1) {
                for j in stride(from: middleB.count - 1, through: 0, by: -1) {
                    lcs[i * columns + j] = a[middleA.lowerBound + i] == b[middleB.lowerBound + j]
                        ? lcs[(i + 1) * columns + j + 1] + 1
                        : max(lcs[(i + 1) * columns + j], lcs[i * columns + j + 1])
                }
            }
            var i = 0
            var j = 0
            while i < middleA.count || j < middleB.count {
                if i < middleA.count, j < middleB.count, a[middleA.lowerBound + i] == b[middleB.lowerBound + j] {
                    result.append(.same(middleA.lowerBound + i, middleB.lowerBound + j))
                    i += 1
                    j += 1
                } else if i < middleA.count, j == middleB.count || lcs[(i + 1) * columns + j] >= lcs[i * columns + j + 1] {
                    // Removals before additions, as diff(1) shows them.
                    result.append(.removed(middleA.lowerBound + i))
                    i += 1
                } else {
                    result.append(.added(middleB.lowerBound + j))
                    j += 1
                }
            }
        } else {
            result += middleA.map { .removed($0) }
            result += middleB.map { .added($0) }
        }
        result += (0..<suffix).map { .same(a.count - suffix + $0, b.count - suffix + $0) }
        return result
    }

    private static func hunks(_ operations: [Operation], before: [Substring], after: [Substring], context: Int) -> [String] {
        let changed = operations.indices.filter { if case .same = operations[$0] { false } else { true } }
        var output: [String] = []
        var cursor = 0
        while cursor < changed.count {
            // One hunk: changes whose gaps are at most twice the context.
            var last = cursor
            while last + 1 < changed.count, changed[last + 1] - changed[last] <= 2 * context { last += 1 }
            let start = max(0, changed[cursor] - context)
            let end = min(operations.count, changed[last] + context + 1)
            let slice = operations[start..<end]
            var oldStart = 0
            var newStart = 0
            // Where the hunk begins in each file: the first line at or after `start` on that side.
            var oldLine = 0
            var newLine = 0
            for operation in operations[..<start] {
                switch operation {
                case .same: oldLine += 1; newLine += 1
                case .removed: oldLine += 1
                case .added: newLine += 1
                }
            }
            var oldCount = 0
            var newCount = 0
            var body: [String] = []
            for operation in slice {
                switch operation {
                case .same(let index, _):
                    oldCount += 1
                    newCount += 1
                    body += rendered(" ", before[index])
                case .removed(let index):
                    oldCount += 1
                    body += rendered("-", before[index])
                case .added(let index):
                    newCount += 1
                    body += rendered("+", after[index])
                }
            }
            oldStart = oldCount == 0 ? oldLine : oldLine + 1
            newStart = newCount == 0 ? newLine : newLine + 1
            output.append("@@ -\(range(oldStart, oldCount)) +\(range(newStart, newCount)) @@")
            output += body
            cursor = last + 1
        }
        return output
    }

    private static func range(_ start: Int, _ count: Int) -> String {
        count == 1 ? "\(start)" : "\(start),\(count)"
    }

    private static func rendered(_ mark: String, _ line: Substring) -> [String] {
        if line.last == "\n" || line.last == "\r\n" { return [mark + line.dropLast()] }
        return [mark + line, "\\ No newline at end of file"]
    }
}
