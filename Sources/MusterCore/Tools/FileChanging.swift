import Foundation

/// A tool that changes a file: the approval gate asks it what the call would change (its diff)
/// before the person decides, without writing anything.
protocol FileChanging: Tool {
    func preview(_ arguments: JSONValue, workspace: URL) async throws -> FileChange
}

extension WriteFileTool: FileChanging {}
extension EditFileTool: FileChanging {}
