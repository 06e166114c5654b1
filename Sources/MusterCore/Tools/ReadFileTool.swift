import Foundation

/// `read_file`: a text file of the workspace with line numbers, a window of lines at a time.
public struct ReadFileTool: Tool {
    static let lineLimit = 5_000
    /// Bytes kept of one line; longer lines are cut with a note.
    static let maxLineBytes = 2_000
    /// Bytes of text returned by one call at most; the rest is offered by offset.
    static let outputBudget = 256 * 1024
    static let chunkSize = 64 * 1024
    /// How far a line is followed in search of its end; reading stops inside a longer one.
    static let lineScanLimit = 1024 * 1024
    /// Bytes read by one call at most, wherever they go (lines before the window included).
    static let readLimit = 64 * 1024 * 1024

    /// How paths are resolved below the workspace (tests force the walk).
    let resolution: BeneathResolver.Method

    /// The tool; it holds no state.
    public init() { self.init(resolution: .automatic) }

    init(resolution: BeneathResolver.Method) { self.resolution = resolution }

    public let spec = ToolSpec(
        name: "read_file",
        description: """
            Read a text file in the workspace. Lines come numbered ("   12\\tline"); read a long \
            file in windows with offset and max_lines. Binary files are refused.
            """,
        parameters: [
            "type": "object",
            "properties": [
                "path": ["type": "string", "description": "File to read, relative to the workspace root."],
                "offset": [
                    "type": "integer",
                    "description": "First line to show (1-based).",
                    "default": 1,
                    "minimum": 1,
                ],
                "max_lines": [
                    "type": "integer",
                    "description": "How many lines to show.",
                    "default": 400,
                    "minimum": 1,
                ],
            ],
            "required": ["path"],
            "additionalProperties": false,
        ]
    )

    public var isConcurrencySafe: Bool { true }

    /// Returns a window of the file's lines, numbered.
    public func run(_ arguments: JSONValue, context: ToolContext) async throws -> ToolOutput {
        let argument = try arguments.requiredString("path")
        let offset = try arguments.optionalInt("offset") ?? 1
        let maxLines = try arguments.optionalInt("max_lines") ?? 400
        guard offset >= 1 else { throw ToolError("offset is a 1-based line number: it must be 1 or more, not \(offset).") }
        guard (1...Self.lineLimit).contains(maxLines) else {
            throw ToolError("max_lines must be between 1 and \(Self.lineLimit), not \(maxLines).")
        }
        return try await BlockingWork.run { cancellation in
            try read(argument, offset: offset, maxLines: maxLines, workspace: context.workspace, cancellation: cancellation)
        }
    }

    private func read(
        _ argument: String, offset: Int, maxLines: Int, workspace: URL, cancellation: CancellationFlag
    ) throws -> ToolOutput {
        let entry: WorkspaceEntry
        do {
            entry = try WorkspacePath.open(argument, in: workspace, method: resolution)
        } catch .missing {
            throw ToolError("File \"\(argument)\" does not exist.")
        } catch {
            throw error.toolError(argument: argument, workspace: workspace)
        }
        let file: ReadableFile
        do {
            // Checked on the descriptor it is read from: a regular file, nothing else.
            file = try ReadableFile(descriptor: entry.descriptor)
        } catch {
            throw Self.error(for: error, argument: argument)
        }

        var window = LineWindow(first: offset, count: maxLines, budget: Self.outputBudget)
        var splitter = LineSplitter(maxLineBytes: Self.maxLineBytes)
        var bytesRead = 0
        while !window.isComplete {
            try cancellation.check()
            let chunk: [UInt8]
            do {
                chunk = try file.read(upTo: Self.chunkSize)
            } catch {
                throw Self.error(for: error, argument: argument)
            }
            if chunk.isEmpty {
                if let last = splitter.finish() { window.add(last) }
                break
            }
            bytesRead += chunk.count
            if ReadableFile.looksBinary(chunk) {
                throw ToolError("\"\(argument)\" looks like a binary file (it contains NUL bytes); read_file shows text only.")
            }
            splitter.append(chunk) { window.add($0) }
            // Reading is bounded by what is returned: a line is not followed (nor counted) past
            // the scan limit, and no call reads more than the read limit.
            if !window.isComplete, splitter.pendingByteCount > Self.lineScanLimit {
                window.addUnfinished(splitter.abandonLine(), longerThan: Self.lineScanLimit)
            } else if !window.isComplete, bytesRead >= Self.readLimit {
                window.stopReading(after: bytesRead)
            }
        }
        return try window.output(for: argument)
    }

    private static func error(for failure: ReadableFile.OpenFailure, argument: String) -> ToolError {
        switch failure {
        case .missing: ToolError("File \"\(argument)\" does not exist.")
        case .directory: ToolError("\"\(argument)\" is a directory; list it with list_files.")
        case .notRegularFile: ToolError("\"\(argument)\" is not a regular file (a device, pipe or socket).")
        case .system(let reason): ToolError("Cannot read \"\(argument)\": \(reason).")
        }
    }
}

/// The lines of one read_file call: which are shown, and whether the file goes on.
private struct LineWindow {
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
