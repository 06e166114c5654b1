/// What the sandbox lets a `shell` command write (`--sandbox`, `MUSTER_SANDBOX`).
public enum SandboxMode: String, Sendable, Equatable, Codable, CaseIterable {
    /// Writes only under the workspace, the system temporary directory and the session's scratch directory.
    case workspaceWrite = "workspace-write"
    /// Writes only under the session's scratch directory.
    case readOnly = "read-only"
    /// No sandbox: commands write wherever the user can.
    case off
}
