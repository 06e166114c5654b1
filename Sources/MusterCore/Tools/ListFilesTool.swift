import Foundation

/// `list_files`: the files and folders under a workspace path, depth first, folders ending in `/`.
public struct ListFilesTool: Tool {
    static let entryLimit = 10_000
    static let depthLimit = 50

    /// How paths are resolved below the workspace (tests force the walk).
    let resolution: BeneathResolver.Method

    /// The tool; it holds no state.
    public init() { self.init(resolution: .automatic) }

    init(resolution: BeneathResolver.Method) { self.resolution = resolution }

    public let spec = ToolSpec(
        name: "list_files",
        description: """
            List files and directories under a path in the workspace (directories end with "/", \
            symbolic links show their target). Skips .git, .build* and node_modules. Paths in the \
            result are relative to the workspace root.
            """,
        parameters: [
            "type": "object",
            "properties": [
                "path": [
                    "type": "string",
                    "description": "Directory to list, relative to the workspace root.",
                    "default": ".",
                ],
                "max_depth": [
                    "type": "integer",
                    "description": "How many levels deep to list (1 lists only the directory's own entries).",
                    "default": 3,
                    "minimum": 1,
                ],
                "max_entries": [
                    "type": "integer",
                    "description": "Stop after this many entries.",
                    "default": 500,
                    "minimum": 1,
                ],
            ],
            "additionalProperties": false,
        ]
    )

    public var isConcurrencySafe: Bool { true }

    /// Lists the entries under `path`, depth first in name order, reporting each directory scanned.
    public func run(_ arguments: JSONValue, context: ToolContext) async throws -> ToolOutput {
        let argument = try arguments.optionalString("path") ?? "."
        let maxDepth = try arguments.optionalInt("max_depth") ?? 3
        let maxEntries = try arguments.optionalInt("max_entries") ?? 500
        guard (1...Self.depthLimit).contains(maxDepth) else {
            throw ToolError("max_depth must be between 1 and \(Self.depthLimit), not \(maxDepth).")
        }
        guard (1...Self.entryLimit).contains(maxEntries) else {
            throw ToolError("max_entries must be between 1 and \(Self.entryLimit), not \(maxEntries).")
        }
        return try await BlockingWork.run { cancellation in
            try list(argument, maxDepth: maxDepth, maxEntries: maxEntries, context: context, cancellation: cancellation)
        }
    }

    private func list(
        _ argument: String, maxDepth: Int, maxEntries: Int, context: ToolContext, cancellation: CancellationFlag
    ) throws -> ToolOutput {
        let entry: WorkspaceEntry
        do {
            entry = try WorkspacePath.open(argument, in: context.workspace, method: resolution)
        } catch .missing {
            throw ToolError("Directory \"\(argument)\" does not exist.")
        } catch {
            throw error.toolError(argument: argument, workspace: context.workspace)
        }
        switch entry.kind {
        case .directory: break
        case .regularFile: throw ToolError("\"\(argument)\" is a file, not a directory; read it with read_file.")
        case .other: throw ToolError("\"\(argument)\" is not a directory.")
        }

        let target = entry.path
        var lines: [String] = []
        var skipped: [String] = []
        var unreadable: [String] = []
        var truncated = false
        try DirectoryWalker(maxDepth: maxDepth, checkCancellation: cancellation.check).walk(
            entry.descriptor,
            path: target.relative,
            visit: { entry in
                guard lines.count < maxEntries else {
                    truncated = true
                    return .stop
                }
                lines.append(Self.line(for: entry))
                return .proceed
            },
            scanned: { directory, count in
                context.progress.report("Scanned \(Self.directoryName(directory)) (\(count) \(count == 1 ? "entry" : "entries"))")
            },
            skipped: { skipped.append(Self.directoryName($0)) },
            unreadable: { directory, reason in
                unreadable.append("\(Self.directoryName(directory)) (\(reason))")
            }
        )

        if lines.isEmpty, unreadable.isEmpty {
            lines.append("(\(target.relative == "." ? "the workspace" : "\"\(target.relative)\"") is empty)")
        }
        if truncated {
            lines.append(
                "[Truncated after \(maxEntries) entries: list a subdirectory, or lower max_depth.]"
            )
        }
        if !skipped.isEmpty {
            let shown = skipped.prefix(10).joined(separator: ", ")
            lines.append("[Not listed: \(shown)\(skipped.count > 10 ? " and \(skipped.count - 10) more" : "").]")
        }
        if !unreadable.isEmpty {
            lines.append("[Could not read: \(unreadable.joined(separator: ", ")).]")
        }
        return ToolOutput(lines.joined(separator: "\n"))
    }

    private static func line(for entry: DirectoryWalker.Entry) -> String {
        switch entry.kind {
        case .directory: entry.path + "/"
        case .file, .other: entry.path
        case .symbolicLink(let target): "\(entry.path) -> \(target)"
        }
    }

    private static func directoryName(_ path: String) -> String {
        path == "." ? "./" : path + "/"
    }
}
