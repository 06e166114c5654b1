import DequeModule

/// Keeps a command's output for the tool result within a byte budget: the first lines, the
/// last lines, and a note of how many lines in between were left out.
struct ShellOutputCollector: Sendable {
    let headLimit: Int
    let tailLimit: Int
    private var head: [String] = []
    private var headBytes = 0
    private var tail: Deque<String> = []
    private var tailBytes = 0
    private(set) var omittedLines = 0
    private(set) var totalLines = 0

    init(headLimit: Int, tailLimit: Int) {
        self.headLimit = headLimit
        self.tailLimit = tailLimit
    }

    mutating func add(_ line: String) {
        totalLines += 1
        let size = line.utf8.count + 1
        if tail.isEmpty, headBytes + size <= headLimit {
            head.append(line)
            headBytes += size
            return
        }
        tail.append(line)
        tailBytes += size
        while tailBytes > tailLimit, let first = tail.popFirst() {
            tailBytes -= first.utf8.count + 1
            omittedLines += 1
        }
    }

    /// The kept output as one text.
    var text: String {
        var lines = head
        if omittedLines > 0 {
            lines.append("… [\(omittedLines) line\(omittedLines == 1 ? "" : "s") of output omitted] …")
        }
        lines.append(contentsOf: tail)
        return lines.joined(separator: "\n")
    }
}
