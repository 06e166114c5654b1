import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Walks a directory tree depth first in name order, never following symbolic links
/// (so a walk cannot leave the workspace) and skipping build and dependency folders.
struct DirectoryWalker: Sendable {
    /// What a directory entry is, judged without following links.
    enum Kind: Sendable, Equatable {
        case directory
        case file
        case symbolicLink(target: String)
        case other
    }

    /// One entry met during the walk.
    struct Entry: Sendable, Equatable {
        /// Absolute path.
        var path: String
        var kind: Kind
        /// 1 for the children of the starting directory.
        var depth: Int
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

    /// Deepest level visited (nil: no limit).
    var maxDepth: Int?

    /// Visits every entry under `directory`; `scanned` reports each directory read with its entry
    /// count, `skipped` each folder left out, `unreadable` each directory that could not be read.
    /// Returns false when the visitor stopped the walk. Throws `CancellationError` when the calling
    /// task is cancelled.
    @discardableResult
    func walk(
        _ directory: String,
        visit: (Entry) throws -> Decision,
        scanned: (String, Int) -> Void = { _, _ in },
        skipped: (String) -> Void = { _ in },
        unreadable: (String, String) -> Void = { _, _ in }
    ) throws -> Bool {
        try walk(directory, depth: 1, visit: visit, scanned: scanned, skipped: skipped, unreadable: unreadable)
    }

    private func walk(
        _ directory: String,
        depth: Int,
        visit: (Entry) throws -> Decision,
        scanned: (String, Int) -> Void,
        skipped: (String) -> Void,
        unreadable: (String, String) -> Void
    ) throws -> Bool {
        try Task.checkCancellation()
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            unreadable(directory, Self.reason(for: error))
            return true
        }
        scanned(directory, names.count)
        let prefix = directory == "/" ? "/" : directory + "/"
        for name in names {
            let path = prefix + name
            let kind = Self.kind(of: path)
            if kind == .directory, Self.isSkipped(directoryName: name) {
                skipped(path)
                continue
            }
            if try visit(Entry(path: path, kind: kind, depth: depth)) == .stop { return false }
            if kind == .directory, maxDepth.map({ depth < $0 }) ?? true {
                let finished = try walk(
                    path, depth: depth + 1, visit: visit, scanned: scanned, skipped: skipped, unreadable: unreadable
                )
                if !finished { return false }
            }
        }
        return true
    }

    /// The entry's kind from `lstat` (links are not followed).
    static func kind(of path: String) -> Kind {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .other }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .file
        case S_IFLNK:
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?"
            return .symbolicLink(target: target)
        default: return .other
        }
    }

    private static func reason(for error: any Error) -> String {
        if let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError,
           underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return "cannot be read"
    }
}
