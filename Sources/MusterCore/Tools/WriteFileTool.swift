import Foundation

/// `write_file`: creates a file of the workspace or replaces its whole content, atomically
/// (temporary file in the same directory + rename, mode kept), confined like the other file
/// tools. Its directory must exist.
public struct WriteFileTool: Tool {
    let resolution: BeneathResolver.Method

    public init() { self.init(resolution: .automatic) }

    init(resolution: BeneathResolver.Method) { self.resolution = resolution }

    public let spec = ToolSpec(
        name: "write_file",
        description: """
            Create a file in the workspace, or replace the whole content of one. The directory must \
            exist. To change part of a file, use edit_file.
            """,
        parameters: [
            "type": "object",
            "properties": [
                "path": ["type": "string", "description": "File to write, relative to the workspace root."],
                "content": ["type": "string", "description": "The file's whole new content."],
            ],
            "required": ["path", "content"],
            "additionalProperties": false,
        ]
    )

    /// The change the call would make, read from the file as it is now (nothing is written).
    func preview(_ arguments: JSONValue, workspace: URL) async throws -> FileChange {
        let argument = try arguments.requiredString("path")
        let content = try arguments.requiredString("content")
        let writer = WorkspaceFileWriter(workspace: workspace, resolution: resolution)
        return try await BlockingWork.run { cancellation in
            let current = try writer.current(argument, cancellation: cancellation)
            return FileChange(path: current.path, oldBytes: current.bytes, newBytes: Array(content.utf8))
        }
    }
}
