import Foundation

/// `grep`: lines matching a regular expression in the workspace's text files, as `path:line: text`.
public struct GrepTool: Tool {
    static let resultLimit = 5_000
    /// Files larger than this are skipped (and counted in the summary).
    static let maxFileBytes = 16 * 1024 * 1024
    /// Characters of a matching line shown; longer lines are cut.
    static let maxShownCharacters = 400
    /// A progress line after every this many files searched.
    static let progressBatch = 100

    /// Time on one line after which it is reported as slow to match.
    static let slowLine = Duration.milliseconds(100)

    /// How paths are resolved below the workspace (tests force the walk).
    let resolution: BeneathResolver.Method
    /// Time the matching of one line may take (`BoundedRegex`).
    let lineTimeLimit: Duration

    /// The tool; it holds no state.
    public init() { self.init(resolution: .automatic) }

    init(resolution: BeneathResolver.Method, lineTimeLimit: Duration = BoundedRegex.defaultTimeLimit) {
        self.resolution = resolution
        self.lineTimeLimit = lineTimeLimit
    }

    public let spec = ToolSpec(
        name: "grep",
        description: """
            Search the workspace's text files for lines matching a regular expression (ICU syntax, \
            as in NSRegularExpression). Results are "path:line: text". Skips binary files, .git, \
            .build* and node_modules, and does not follow symbolic links inside directories. A \
            pattern that spends more than a second on one line fails the call (it backtracks too much).
            """,
        parameters: [
            "type": "object",
            "properties": [
                "pattern": ["type": "string", "description": "Regular expression to search for."],
                "path": [
                    "type": "string",
                    "description": "File or directory to search, relative to the workspace root.",
                    "default": ".",
                ],
                "max_results": [
                    "type": "integer",
                    "description": "Stop after this many matching lines.",
                    "default": 200,
                    "minimum": 1,
                ],
                "ignore_case": [
                    "type": "boolean",
                    "description": "Match letters regardless of case.",
                    "default": false,
                ],
            ],
            "required": ["pattern"],
            "additionalProperties": false,
        ]
    )

    public var isConcurrencySafe: Bool { true }

    /// Returns the matching lines, reporting progress every hundred files. The search runs off
    /// the cooperative pool and stops within one matcher callback of the call being cancelled.
    public func run(_ arguments: JSONValue, context: ToolContext) async throws -> ToolOutput {
        let pattern = try arguments.requiredString("pattern")
        let argument = try arguments.optionalString("path") ?? "."
        let maxResults = try arguments.optionalInt("max_results") ?? 200
        let ignoreCase = try arguments.optionalBool("ignore_case") ?? false
        guard !pattern.isEmpty else { throw ToolError("pattern is empty: give a regular expression to search for.") }
        guard (1...Self.resultLimit).contains(maxResults) else {
            throw ToolError("max_results must be between 1 and \(Self.resultLimit), not \(maxResults).")
        }
        let regex = BoundedRegex(try Self.compile(pattern, ignoreCase: ignoreCase), timeLimit: lineTimeLimit)
        return try await BlockingWork.run { cancellation in
            try search(regex, pattern: pattern, argument: argument, maxResults: maxResults, context: context, cancellation: cancellation)
        }
    }

    private func search(
        _ regex: BoundedRegex, pattern: String, argument: String, maxResults: Int, context: ToolContext,
        cancellation: CancellationFlag
    ) throws -> ToolOutput {
        let entry: WorkspaceEntry
        do {
            entry = try WorkspacePath.open(argument, in: context.workspace, method: resolution)
        } catch {
            throw error.toolError(argument: argument, workspace: context.workspace)
        }
        let target = entry.path

        var search = GrepSearch(regex: regex, maxResults: maxResults, cancellation: cancellation, report: context.progress.report)
        var reportedAt = 0
        switch entry.kind {
        case .directory:
            let walker = DirectoryWalker(maxDepth: nil, checkCancellation: cancellation.check)
            try walker.walk(entry.descriptor, path: target.relative, visit: { entry in
                guard entry.kind == .file else { return .proceed }
                try search.searchEntry(entry)
                if search.filesSearched >= reportedAt + Self.progressBatch {
                    context.progress.report(search.progressLine)
                    reportedAt = search.filesSearched
                }
                return search.isFull ? .stop : .proceed
            })
        case .regularFile:
            // Checked and read on the descriptor the path was opened (and confined) as.
            let file: ReadableFile
            do {
                file = try ReadableFile(descriptor: entry.descriptor)
            } catch {
                throw ToolError("\"\(argument)\" cannot be read: it is not a regular file.")
            }
            try search.search(file, named: target.relative, explicit: true)
        case .other:
            throw ToolError("\"\(argument)\" is not a regular file or directory.")
        }
        if search.filesSearched != reportedAt { context.progress.report(search.progressLine) }
        return search.output(pattern: pattern, path: target.relative)
    }

    /// Compiles with NSRegularExpression; on failure asks Swift's own regex parser for a reason,
    /// because NSRegularExpression on Linux only says "The value is invalid".
    static func compile(_ pattern: String, ignoreCase: Bool) throws(ToolError) -> NSRegularExpression {
        do {
            return try NSRegularExpression(pattern: pattern, options: ignoreCase ? [.caseInsensitive] : [])
        } catch {
            let reason: String
            do {
                _ = try Regex(pattern)
                reason = "it is not valid ICU regular expression syntax"
            } catch let parseError {
                reason = "\(parseError)"
            }
            throw ToolError("Invalid regular expression \"\(pattern)\": \(reason).")
        }
    }
}

/// The running state of one grep call: matches found and files seen.
private struct GrepSearch {
    let regex: BoundedRegex
    let maxResults: Int
    let cancellation: CancellationFlag
    let report: (String) -> Void
    private(set) var matches: [String] = []
    private(set) var filesSearched = 0
    private(set) var binarySkipped = 0
    private(set) var largeSkipped: [String] = []
    private(set) var unreadable: [String] = []
    private(set) var moreMatchesExist = false

    init(regex: BoundedRegex, maxResults: Int, cancellation: CancellationFlag, report: @escaping (String) -> Void) {
        self.regex = regex
        self.cancellation = cancellation
        self.report = report
        self.maxResults = maxResults
    }

    var isFull: Bool { moreMatchesExist }

    var progressLine: String {
        "Searched \(filesSearched) file\(filesSearched == 1 ? "" : "s"), \(matches.count) match\(matches.count == 1 ? "" : "es")"
    }

    /// Opens an entry met during a walk (never following a link) and searches it; what cannot
    /// be opened as a regular file is counted as unreadable.
    mutating func searchEntry(_ entry: DirectoryWalker.Entry) throws {
        let file: ReadableFile
        do {
            file = try ReadableFile(name: entry.name, in: entry.directory)
        } catch {
            unreadable.append(entry.path)
            return
        }
        try search(file, named: entry.path, explicit: false)
    }

    /// Adds the file's matching lines. An explicitly named binary or huge file is an error;
    /// met during a walk it is only counted.
    mutating func search(_ file: borrowing ReadableFile, named relative: String, explicit: Bool) throws {
        try cancellation.check()
        if file.size > GrepTool.maxFileBytes {
            if explicit { throw ToolError("\"\(relative)\" is too large to search (\(file.size) bytes).") }
            largeSkipped.append(relative)
            return
        }
        let bytes: [UInt8]
        do {
            bytes = try Self.readAll(file)
        } catch {
            if explicit { throw ToolError("Cannot read \"\(relative)\": \(error).") }
            unreadable.append(relative)
            return
        }
        filesSearched += 1
        if ReadableFile.looksBinary(bytes.prefix(ReadableFile.binaryProbeSize)) {
            if explicit { throw ToolError("\"\(relative)\" looks like a binary file (it contains NUL bytes).") }
            binarySkipped += 1
            return
        }
        let regex = self.regex
        let cancellation = self.cancellation
        let report = self.report
        let room = maxResults - matches.count
        var found: [String] = []
        var more = false
        var lineNumber = 0
        let check = { (line: LineSplitter.Line) throws in
            lineNumber += 1
            guard !more else { return }
            let text = line.text
            let number = lineNumber
            guard try Self.lineMatches(text, number: number, of: relative, regex: regex, cancellation: cancellation, report: report)
            else { return }
            guard found.count < room else {
                more = true
                return
            }
            found.append("\(relative):\(number): \(Self.shown(text))")
        }
        var splitter = LineSplitter(maxLineBytes: 64 * 1024)
        try splitter.append(bytes, emit: check)
        if let last = splitter.finish() { try check(last) }
        matches += found
        moreMatchesExist = more
    }

    /// Matches one line within the regex's time limit; a stop becomes `CancellationError`, an
    /// exceeded limit an error naming the line.
    private static func lineMatches(
        _ text: String, number: Int, of relative: String, regex: BoundedRegex, cancellation: CancellationFlag,
        report: (String) -> Void
    ) throws -> Bool {
        do {
            var reportedSlow = false
            return try regex.firstMatch(in: text, shouldStop: { cancellation.isCancelled }, onProgress: { spent in
                if !reportedSlow, spent >= GrepTool.slowLine {
                    reportedSlow = true
                    report("Line \(number) of \(relative) is slow to match")
                }
            })
        } catch .stopped {
            throw CancellationError()
        } catch .tooExpensive(let reason) {
            throw ToolError(
                "Pattern too expensive on line \(number) of \(relative): it backtracks too much (\(reason)); "
                    + "avoid nested repetition such as (a+)+."
            )
        }
    }

    func output(pattern: String, path: String) -> ToolOutput {
        var lines = matches
        if matches.isEmpty {
            lines.append("No matches for /\(pattern)/ in \(path) (\(filesSearched) file\(filesSearched == 1 ? "" : "s") searched).")
        }
        if moreMatchesExist {
            lines.append("[Stopped at \(maxResults) matches: narrow the pattern or the path, or raise max_results.]")
        }
        if binarySkipped > 0 { lines.append("[Skipped \(binarySkipped) binary file\(binarySkipped == 1 ? "" : "s").]") }
        if !largeSkipped.isEmpty {
            lines.append("[Skipped files over \(GrepTool.maxFileBytes / 1024 / 1024) MB: \(largeSkipped.prefix(10).joined(separator: ", ")).]")
        }
        if !unreadable.isEmpty {
            lines.append("[Could not read: \(unreadable.prefix(10).joined(separator: ", ")).]")
        }
        return ToolOutput(lines.joined(separator: "\n"))
    }

    private static func readAll(_ file: borrowing ReadableFile) throws(ReadableFile.OpenFailure) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(file.size)
        while true {
            let chunk = try file.read(upTo: 256 * 1024)
            if chunk.isEmpty { return bytes }
            bytes += chunk
            if bytes.count > GrepTool.maxFileBytes { return bytes }
        }
    }

    private static func shown(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.count > GrepTool.maxShownCharacters else { return trimmed }
        return trimmed.prefix(GrepTool.maxShownCharacters) + " …"
    }
}
