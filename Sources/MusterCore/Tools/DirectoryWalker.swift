import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Walks a directory tree depth first in name order through the descriptors it holds
/// (`fdopendir`, `openat` with `O_NOFOLLOW`), so it never follows a symbolic link and cannot be
/// led out of the tree by a rename or a swapped link; skips build and dependency folders.
struct DirectoryWalker {
    /// What a directory entry is, judged without following links.
    enum Kind: Sendable, Equatable {
        case directory
        case file
        case symbolicLink(target: String)
        case other
    }

    /// One entry met during the walk.
    struct Entry: Sendable, Equatable {
        /// Path relative to the workspace root.
        var path: String
        /// The entry's name in its directory.
        var name: String
        var kind: Kind
        /// 1 for the children of the starting directory.
        var depth: Int
        /// The directory holding it, open for the duration of the visit (`ReadableFile(name:in:)`).
        var directory: Int32
    }

    /// What the visitor wants next.
    enum Decision: Sendable {
        case proceed
        case stop
    }

    /// Folders that hold version control data, build products or dependencies.
    static func isSkipped(directoryName name: String) -> Bool {
        name == ".git" || name == "node_modules" || name.hasPrefix(".build")
    }

    /// Directories held open at once at most: a deeper tree is reported as unreadable there.
    static let depthCeiling = 256

    /// Deepest level visited (nil: no limit but the ceiling).
    var maxDepth: Int?
    /// Throws when the walk should end (the call was cancelled).
    var checkCancellation: () throws -> Void

    /// Visits every entry under the open directory `directory`, named `path` (relative to the
    /// workspace root, "." for the root); `scanned` reports each directory read with its entry
    /// count, `skipped` each folder left out, `unreadable` each directory that could not be read.
    /// Returns false when the visitor stopped the walk.
    @discardableResult
    func walk(
        _ directory: borrowing FileDescriptor,
        path: String,
        visit: (Entry) throws -> Decision,
        scanned: (String, Int) -> Void = { _, _ in },
        skipped: (String) -> Void = { _ in },
        unreadable: (String, String) -> Void = { _, _ in }
    ) throws -> Bool {
        try walk(directory.raw, path: path, depth: 1, visit: visit, scanned: scanned, skipped: skipped, unreadable: unreadable)
    }

    private func walk(
        _ directory: Int32,
        path: String,
        depth: Int,
        visit: (Entry) throws -> Decision,
        scanned: (String, Int) -> Void,
        skipped: (String) -> Void,
        unreadable: (String, String) -> Void
    ) throws -> Bool {
        try checkCancellation()
        let names: [String]
        switch Self.names(in: directory) {
        case .success(let found): names = found.sorted()
        case .failure(let error):
            unreadable(path, error.description)
            return true
        }
        scanned(path, names.count)
        for name in names {
            let entryPath = WorkspacePath.joined(path, name)
            let kind = Self.kind(of: name, in: directory)
            if kind == .directory, Self.isSkipped(directoryName: name) {
                skipped(entryPath)
                continue
            }
            let entry = Entry(path: entryPath, name: name, kind: kind, depth: depth, directory: directory)
            if try visit(entry) == .stop { return false }
            guard kind == .directory, maxDepth.map({ depth < $0 }) ?? true else { continue }
            guard depth < Self.depthCeiling else {
                unreadable(entryPath, "more than \(Self.depthCeiling) levels deep")
                continue
            }
            // O_NOFOLLOW | O_DIRECTORY: if the folder was swapped for a link since it was
            // listed, this fails instead of leading elsewhere.
            let child = openat(directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
            guard child >= 0 else {
                unreadable(entryPath, SystemError(errno).description)
                continue
            }
            defer { close(child) }
            let finished = try walk(
                child, path: entryPath, depth: depth + 1, visit: visit, scanned: scanned, skipped: skipped, unreadable: unreadable
            )
            if !finished { return false }
        }
        return true
    }

    /// The names in an open directory, read through a duplicate of its descriptor.
    private static func names(in directory: Int32) -> Result<[String], SystemError> {
        let copy = dup(directory)
        guard copy >= 0 else { return .failure(SystemError(errno)) }
        guard let stream = fdopendir(copy) else {
            let failure = errno
            close(copy)
            return .failure(SystemError(failure))
        }
        defer { closedir(stream) }
        // The duplicate shares the offset with the original: start from the top whatever happened before.
        rewinddir(stream)
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return .success(names)
    }

    /// The entry's kind from `fstatat` without following links.
    static func kind(of name: String, in directory: Int32) -> Kind {
        var info = stat()
        guard fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return .other }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .file
        case S_IFLNK: return .symbolicLink(target: BeneathResolver.readLink(name, in: directory) ?? "?")
        default: return .other
        }
    }
}
