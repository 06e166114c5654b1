/// What a tool call asks to do, as an approval shows it.
public enum ApprovalSubject: Sendable, Equatable {
    /// A shell command, whole, and the directory it runs in.
    case shell(command: String, directory: String)
    /// A change to a file: its path below the workspace, the unified diff and `(+3 −1)`.
    case edit(path: String, diff: String, summary: String)

    /// One line: `shell: make test`, `edit: README.md (+3 −1)`.
    public var headline: String {
        switch self {
        case .shell(let command, _): "shell: \(command)"
        case .edit(let path, _, let summary): "edit: \(path) \(summary)"
        }
    }

    /// The rule that `a` (always) adds: the exact command, or the file's path.
    public var rule: PermissionRule {
        switch self {
        case .shell(let command, _): PermissionRule(kind: .shell, pattern: command)
        case .edit(let path, _, _): PermissionRule(kind: .edit, pattern: path)
        }
    }
}

/// In the log: `{"kind":"shell","command":…,"directory":…}` or `{"kind":"edit","path":…,"diff":…,"summary":…}`.
extension ApprovalSubject: Codable {
    enum CodingKeys: String, CodingKey {
        case kind, command, directory, path, diff, summary
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .kind) {
        case "shell":
            self = .shell(command: try container.decode(String.self, forKey: .command), directory: try container.decode(String.self, forKey: .directory))
        case "edit":
            self = .edit(
                path: try container.decode(String.self, forKey: .path), diff: try container.decode(String.self, forKey: .diff),
                summary: try container.decode(String.self, forKey: .summary)
            )
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: container, debugDescription: "expected shell or edit, found \"\(other)\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .shell(let command, let directory):
            try container.encode("shell", forKey: .kind)
            try container.encode(command, forKey: .command)
            try container.encode(directory, forKey: .directory)
        case .edit(let path, let diff, let summary):
            try container.encode("edit", forKey: .kind)
            try container.encode(path, forKey: .path)
            try container.encode(diff, forKey: .diff)
            try container.encode(summary, forKey: .summary)
        }
    }
}
