import Foundation

/// A tool that changes a file: the approval gate asks it what the call would change (its diff)
/// before the person decides, without writing anything; the call itself makes that change.
protocol FileChanging: Tool {
    /// How paths are resolved below the workspace (tests force the walk).
    var resolution: BeneathResolver.Method { get }
    /// The change the call would make to the file as it is now (nothing is written).
    func preview(_ arguments: JSONValue, workspace: URL) async throws -> FileChange
}

extension FileChanging {
    /// Edits of one turn run one after another, in the order the model gave them.
    public var isConcurrencySafe: Bool { false }

    public func run(_ arguments: JSONValue, context: ToolContext) async throws -> ToolOutput {
        try await apply(arguments, context: context)
    }

    /// Makes the change the arguments describe, atomically, and says what it was. When the
    /// call passed the approval gate with a change (the diff the person saw), the change made
    /// now must be that one: a file changed meanwhile is left alone.
    func apply(_ arguments: JSONValue, context: ToolContext) async throws -> ToolOutput {
        let workspace = context.workspace
        let approved = context.runtime?.approvals.takePassedChange(agent: context.agent, callID: context.callID)
        let change = try await preview(arguments, workspace: workspace)
        if let approved, approved != change {
            throw ToolError("\"\(change.path.relative)\" changed while the edit waited for approval; nothing was written. Read it again and redo the edit.")
        }
        let writer = WorkspaceFileWriter(workspace: workspace, resolution: resolution)
        try await BlockingWork.run { cancellation in
            try writer.replace(change.path, with: change.newBytes, cancellation: cancellation)
        }
        return ToolOutput(change.summary)
    }
}

extension WriteFileTool: FileChanging {}
extension EditFileTool: FileChanging {}
