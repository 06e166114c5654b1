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
