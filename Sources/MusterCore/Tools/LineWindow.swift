import Foundation

/// The lines of one read_file call: which are shown, and whether the file goes on.
struct LineWindow {
    let first: Int
    let count: Int
    var budget: Int
    private(set) var linesSeen = 0
    private(set) var shown: [String] = []
    /// A line after the window exists.
    private(set) var continues = false
    /// The window stopped early because the output budget ran out.
    private(set) var budgetExhausted = false
    /// Reading stopped inside a line longer than this many bytes.
    private(set) var stoppedInsideLine: Int?
    /// Reading stopped after this many bytes.
    private(set) var stoppedAfterBytes: Int?

    init(first: Int, count: Int, budget: Int) {
        self.first = first
        self.count = count
        self.budget = budget
    }

    var isComplete: Bool { continues || budgetExhausted || stoppedInsideLine != nil || stoppedAfterBytes != nil }

    /// Adds a line whose end was not found within `limit` bytes; nothing after it can be read.
    mutating func addUnfinished(_ line: LineSplitter.Line, longerThan limit: Int) {
        guard !isComplete else { return }
        add(line, note: "line longer than \(limit) bytes")
        // Unless the window was already full (the file just goes on), nothing more can be read.
        if !isComplete { stoppedInsideLine = limit }
    }

    /// Ends the window because the call has read as much as it may.
    mutating func stopReading(after bytes: Int) {
        stoppedAfterBytes = bytes
    }

    mutating func add(_ line: LineSplitter.Line) {
        add(line, note: "line cut: \(line.byteCount) bytes in all")
    }

    private mutating func add(_ line: LineSplitter.Line, note: String) {
        guard !isComplete else { return }
        linesSeen += 1
        guard linesSeen >= first else { return }
        guard shown.count < count else {
            continues = true
            return
        }
        var text = line.text
        if line.isTruncated { text += " … [\(note)]" }
        let numbered = Self.number(linesSeen) + "\t" + text
        if numbered.utf8.count > budget, !shown.isEmpty {
            budgetExhausted = true
            return
        }
        budget -= numbered.utf8.count
        shown.append(numbered)
    }

    func output(for argument: String) throws(ToolError) -> ToolOutput {
        if linesSeen == 0 { return ToolOutput("(\"\(argument)\" is empty)") }
        if shown.isEmpty, let limit = stoppedInsideLine {
            throw ToolError("\"\(argument)\": line \(linesSeen) is longer than \(limit) bytes; read_file cannot read past it, so offset \(first) cannot be reached.")
        }
        if shown.isEmpty, let bytes = stoppedAfterBytes {
            throw ToolError("\"\(argument)\": offset \(first) lies beyond the first \(bytes) bytes (\(linesSeen) lines), more than one call reads.")
        }
        if shown.isEmpty {
            throw ToolError("\"\(argument)\" has \(linesSeen) lines; offset \(first) is past the end.")
        }
        var text = shown.joined(separator: "\n")
        let last = first + shown.count - 1
        if let limit = stoppedInsideLine {
            text += "\n[Stopped inside line \(linesSeen), which is longer than \(limit) bytes; the lines after it cannot be shown.]"
        } else if stoppedAfterBytes != nil {
            text += "\n[Stopped after reading \(ReadFileTool.readLimit / 1024 / 1024) MB; continue with offset \(last + 1).]"
        } else if budgetExhausted {
            text += "\n[Output limit reached after line \(last); continue with offset \(last + 1).]"
        } else if continues {
            text += "\n[Showing lines \(first)–\(last); the file continues: read on with offset \(last + 1).]"
        }
        return ToolOutput(text)
    }

    private static func number(_ value: Int) -> String {
        let digits = String(value)
        return String(repeating: " ", count: max(0, 6 - digits.count)) + digits
    }
}
