import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A path argument resolved against the workspace root and confined to it.
///
/// Existing paths are resolved with `realpath`, so `..` and symbolic links are judged by where
/// they really lead; a path that does not exist yet is judged by its nearest existing ancestor.
public struct WorkspacePath: Sendable, Equatable, CustomStringConvertible {
    /// The path as the caller wrote it.
    public let argument: String
    /// The real workspace root (symbolic links resolved).
    public let root: String
    /// The resolved absolute path, inside `root`.
    public let absolute: String

    /// Resolves `argument` (relative to the workspace, or absolute) and refuses it when it leads outside.
    public static func resolve(_ argument: String, in workspace: URL) throws(ToolError) -> WorkspacePath {
        guard !argument.contains("\0") else {
            throw ToolError("Path \"\(argument.replacingOccurrences(of: "\0", with: "\\0"))\" contains a NUL character.")
        }
        let root = try realRoot(of: workspace)
        let spelled = argument.isEmpty ? "." : argument
        let joined = spelled.hasPrefix("/") ? spelled : (root == "/" ? "/" : root + "/") + spelled
        let resolved = try resolvePhysically(joined, argument: argument)
        guard isInside(resolved, root: root) else {
            throw ToolError("Path \"\(argument)\" is outside the workspace \(workspace.path).")
        }
        return WorkspacePath(argument: argument, root: root, absolute: resolved)
    }

    /// The resolved path as a file URL.
    public var url: URL { URL(fileURLWithPath: absolute) }

    /// The path relative to the workspace root ("." for the root itself).
    public var relative: String { Self.relative(absolute, to: root) }

    public var description: String { relative }

    /// `path` relative to `root`, or `path` unchanged when it is not inside `root`.
    static func relative(_ path: String, to root: String) -> String {
        if path == root { return "." }
        let prefix = root == "/" ? "/" : root + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }

    /// True when `path` is `root` or lies below it.
    static func isInside(_ path: String, root: String) -> Bool {
        root == "/" || path == root || path.hasPrefix(root + "/")
    }

    private static func realRoot(of workspace: URL) throws(ToolError) -> String {
        guard let root = realpath(workspace.path) else {
            throw ToolError("The workspace \(workspace.path) does not exist or cannot be read.")
        }
        return root
    }

    /// Resolves symbolic links and `..` the way the kernel would: through the longest existing
    /// prefix with `realpath`, then lexically through the components that do not exist yet
    /// (which cannot be links).
    private static func resolvePhysically(_ path: String, argument: String) throws(ToolError) -> String {
        var existing = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var missing: [String] = []
        while true {
            let candidate = "/" + existing.joined(separator: "/")
            if let real = realpath(candidate) { return appendLexically(missing, to: real) }
            let failure = errno
            guard failure == ENOENT || failure == ENOTDIR else {
                throw ToolError("Path \"\(argument)\" cannot be resolved: \(String(cString: strerror(failure))).")
            }
            if isSymbolicLink(candidate) {
                throw ToolError("Path \"\(argument)\" goes through a broken symbolic link.")
            }
            guard let last = existing.popLast() else {
                throw ToolError("Path \"\(argument)\" cannot be resolved.")
            }
            missing.insert(last, at: 0)
        }
    }

    private static func appendLexically(_ components: [String], to base: String) -> String {
        var parts = base.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        for component in components {
            switch component {
            case ".": continue
            case "..": _ = parts.popLast()
            default: parts.append(component)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    private static func realpath(_ path: String) -> String? {
        guard let pointer = MusterCore.systemRealpath(path) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    private static func isSymbolicLink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
    }
}

/// The C library's `realpath(3)`, allocating its result (the caller frees it).
func systemRealpath(_ path: String) -> UnsafeMutablePointer<CChar>? {
    realpath(path, nil)
}
