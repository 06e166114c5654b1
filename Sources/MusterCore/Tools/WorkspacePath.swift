import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A path argument of a file tool, resolved below the workspace root and confined to it.
///
/// Confinement is by construction: the root is opened once per call and the path is opened
/// below that descriptor (`BeneathResolver`); what a tool reads is the descriptor it got, never
/// the path string again, so a symbolic link or directory swapped in between cannot redirect it.
public struct WorkspacePath: Sendable, Equatable, CustomStringConvertible {
    /// The path as the caller wrote it.
    public let argument: String
    /// The real workspace root (symbolic links resolved).
    public let root: String
    /// The physical path below the root, "." for the root itself.
    public let relative: String

    /// The absolute path, for messages.
    public var absolute: String {
        relative == "." ? root : (root == "/" ? "/" : root + "/") + relative
    }

    public var description: String { relative }

    /// Why a path could not be opened.
    enum Failure: Error, Equatable {
        case containsNUL
        case noWorkspace
        case outside
        case missing
        case brokenLink
        case tooManyLinks
        case system(String)

        /// The message a tool gives for the failure of `argument` in `workspace`.
        func toolError(argument: String, workspace: URL) -> ToolError {
            switch self {
            case .containsNUL:
                ToolError("Path \"\(argument.replacingOccurrences(of: "\0", with: "\\0"))\" contains a NUL character.")
            case .noWorkspace: ToolError("The workspace \(workspace.path) does not exist or cannot be read.")
            case .outside: ToolError("Path \"\(argument)\" is outside the workspace \(workspace.path).")
            case .missing: ToolError("Path \"\(argument)\" does not exist.")
            case .brokenLink: ToolError("Path \"\(argument)\" goes through a broken symbolic link.")
            case .tooManyLinks: ToolError("Path \"\(argument)\" goes through too many symbolic links.")
            case .system(let reason): ToolError("Path \"\(argument)\" cannot be opened: \(reason).")
            }
        }
    }

    /// Opens `argument` (relative to the workspace, or absolute inside it) for reading, confined
    /// to the workspace. FIFOs and devices are opened without blocking; callers check the kind.
    static func open(
        _ argument: String, in workspace: URL, method: BeneathResolver.Method = .automatic
    ) throws(Failure) -> WorkspaceEntry {
        guard !argument.contains("\0") else { throw .containsNUL }
        guard let rootDescriptor = openDirectory(workspace.path) else { throw .noWorkspace }
        guard let root = realPath(workspace.path) else { throw .noWorkspace }
        let components = try components(of: argument, root: root, workspace: workspace)
        let opened: BeneathResolver.Opened
        do {
            opened = try BeneathResolver.open(components, below: rootDescriptor.raw, rootPath: root, method: method)
        } catch {
            switch error {
            case .outside: throw .outside
            case .missing: throw .missing
            case .brokenLink: throw .brokenLink
            case .tooManyLinks: throw .tooManyLinks
            case .system(let failure): throw .system(failure.description)
            }
        }
        let path = WorkspacePath(argument: argument, root: root, relative: opened.relative.isEmpty ? "." : opened.relative)
        return try WorkspaceEntry(path: path, descriptor: opened.descriptor)
    }

    /// Resolves `argument` and gives its name below the root (the file is opened and closed).
    public static func resolve(_ argument: String, in workspace: URL) throws(ToolError) -> WorkspacePath {
        try resolve(argument, in: workspace, method: .automatic)
    }

    static func resolve(
        _ argument: String, in workspace: URL, method: BeneathResolver.Method
    ) throws(ToolError) -> WorkspacePath {
        do {
            return try open(argument, in: workspace, method: method).path
        } catch {
            throw error.toolError(argument: argument, workspace: workspace)
        }
    }

    /// The argument's components below the root; an absolute argument must name the root
    /// (as given or as resolved) or something below it.
    private static func components(of argument: String, root: String, workspace: URL) throws(Failure) -> [String] {
        guard argument.hasPrefix("/") else {
            return argument.split(separator: "/").map(String.init)
        }
        let spelled = "/" + argument.split(separator: "/").joined(separator: "/")
        let given = "/" + workspace.path.split(separator: "/").joined(separator: "/")
        guard let inside = BeneathResolver.below(root, spelled) ?? BeneathResolver.below(given, spelled) else {
            throw .outside
        }
        return inside.split(separator: "/").map(String.init)
    }

    private static func realPath(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    /// `name` below `parent`, both relative to the root ("." for the root).
    static func joined(_ parent: String, _ name: String) -> String {
        parent == "." ? name : parent + "/" + name
    }
}

/// Opens the workspace root itself (following links: the workspace is the person's choice).
private func openDirectory(_ path: String) -> FileDescriptor? {
    let raw = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    return raw >= 0 ? FileDescriptor(raw) : nil
}
