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
