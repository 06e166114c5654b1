/// A change `write_file` or `edit_file` is about to make to one file: what its approval shows
/// (the unified diff) and what the call answers (`edited README.md (+3 −1)`).
public struct FileChange: Sendable, Equatable {
    /// The file's physical name below the workspace root.
    public let path: WorkspacePath
    /// The content now; nil when the file does not exist yet.
    public let oldBytes: [UInt8]?
    public let newBytes: [UInt8]

    public init(path: WorkspacePath, oldBytes: [UInt8]?, newBytes: [UInt8]) {
        self.path = path
        self.oldBytes = oldBytes
        self.newBytes = newBytes
    }

    /// The change as a unified diff (invalid UTF-8 shown as U+FFFD).
    public var diff: UnifiedDiff {
        UnifiedDiff(
            old: String(decoding: oldBytes ?? [], as: UTF8.self),
            new: String(decoding: newBytes, as: UTF8.self),
            path: path.relative
        )
    }

    /// `created notes.txt (+3 −0)`, `edited README.md (+3 −1)`, `README.md unchanged`.
    public var summary: String {
        guard let oldBytes else { return "created \(path.relative) \(diff.summary)" }
        if oldBytes == newBytes { return "\(path.relative) unchanged" }
        return "edited \(path.relative) \(diff.summary)"
    }
}
