import Foundation

/// `edit_file`: replaces an exact string in a file of the workspace. The call fails when `old`
/// is missing, or appears more than once without `replace_all`; the file is then untouched.
/// Written atomically and confined like `write_file`. Matching is on the UTF-8 bytes, so bytes
/// that are not valid UTF-8 elsewhere in the file stay as they were.
public struct EditFileTool: Tool {
    let resolution: BeneathResolver.Method

    public init() { self.init(resolution: .automatic) }

    init(resolution: BeneathResolver.Method) { self.resolution = resolution }

    public let spec = ToolSpec(
        name: "edit_file",
        description: """
            Replace an exact string in a file of the workspace. old must appear exactly once \
            (include enough surrounding lines to make it unique), or set replace_all to replace \
            every occurrence. Read the file first: whitespace and indentation must match.
            """,
        parameters: [
            "type": "object",
            "properties": [
                "path": ["type": "string", "description": "File to edit, relative to the workspace root."],
                "old": ["type": "string", "description": "The exact text to replace."],
                "new": ["type": "string", "description": "The text to put in its place."],
                "replace_all": [
                    "type": "boolean", "description": "Replace every occurrence of old.", "default": false,
                ],
            ],
            "required": ["path", "old", "new"],
            "additionalProperties": false,
        ]
    )

    /// The change the call would make to the file as it is now (nothing is written).
    func preview(_ arguments: JSONValue, workspace: URL) async throws -> FileChange {
        let argument = try arguments.requiredString("path")
        let old = try arguments.requiredString("old")
        let new = try arguments.requiredString("new")
        let replaceAll = try arguments.optionalBool("replace_all") ?? false
        guard !old.isEmpty else { throw ToolError("old is empty; give the exact text to replace (write_file replaces a whole file).") }
        guard old != new else { throw ToolError("old and new are the same; nothing would change.") }
        let writer = WorkspaceFileWriter(workspace: workspace, resolution: resolution)
        return try await BlockingWork.run { cancellation in
            let current = try writer.current(argument, cancellation: cancellation)
            guard let bytes = current.bytes else { throw ToolError("File \"\(argument)\" does not exist; create it with write_file.") }
            let replaced = try Self.replace(Array(old.utf8), with: Array(new.utf8), in: bytes, all: replaceAll, argument: argument)
            return FileChange(path: current.path, oldBytes: bytes, newBytes: replaced)
        }
    }

    /// `bytes` with `old` replaced by `new`: once (it must occur exactly once) or, with `all`,
    /// at every non-overlapping occurrence from the start.
    static func replace(_ old: [UInt8], with new: [UInt8], in bytes: [UInt8], all: Bool, argument: String) throws -> [UInt8] {
        let found = occurrences(of: old, in: bytes)
        guard !found.isEmpty else {
            throw ToolError("old was not found in \"\(argument)\"; nothing was changed. Read the file and copy the text exactly.")
        }
        guard all || found.count == 1 else {
            throw ToolError("old appears \(found.count) times in \"\(argument)\"; nothing was changed. Include more surrounding text to make it unique, or set replace_all.")
        }
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count + found.count * (new.count - old.count))
        var cursor = 0
        for start in found {
            result += bytes[cursor..<start]
            result += new
            cursor = start + old.count
        }
        result += bytes[cursor...]
        return result
    }

    /// Starts of the non-overlapping occurrences of `needle`, left to right.
    static func occurrences(of needle: [UInt8], in haystack: [UInt8]) -> [Int] {
        guard !needle.isEmpty, needle.count <= haystack.count else { return [] }
        var starts: [Int] = []
        var index = 0
        let first = needle[0]
        while index <= haystack.count - needle.count {
            if haystack[index] == first, haystack[index..<(index + needle.count)].elementsEqual(needle) {
                starts.append(index)
                index += needle.count
            } else {
                index += 1
            }
        }
        return starts
    }
}
