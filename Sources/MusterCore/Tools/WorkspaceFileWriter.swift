import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads and replaces a file of the workspace for `write_file` and `edit_file`, confined like
/// the other file tools and atomically: the new content goes to a temporary file in the same
/// directory, which is then renamed over the old one, with the old file's mode (and owner,
/// where permitted) kept.
///
/// The directory is opened through `WorkspacePath.open` (`BeneathResolver`), and the temporary
/// file and the rename happen relative to that descriptor, never by path: a symbolic link or a
/// `..` cannot lead the write out of the workspace, and a rename never follows a link. An
/// existing file reached through a link inside the workspace is replaced where the link points
/// (its physical path); a dangling link, a directory, a device or a FIFO is refused.
struct WorkspaceFileWriter {
    /// The largest file these tools read or write.
    static let sizeLimit = 10 * 1024 * 1024

    let workspace: URL
    let resolution: BeneathResolver.Method

    /// What is at a path now: its physical name below the root and, when it exists, its bytes.
    struct Current {
        let path: WorkspacePath
        let bytes: [UInt8]?
    }

    /// The file at `argument` now (nil bytes: it does not exist yet but its directory does).
    func current(_ argument: String, cancellation: CancellationFlag) throws -> Current {
        guard !argument.isEmpty, !argument.hasSuffix("/") else {
            throw ToolError("Path \"\(argument)\" names a directory, not a file.")
        }
        let entry: WorkspaceEntry
        do {
            entry = try WorkspacePath.open(argument, in: workspace, method: resolution)
        } catch .missing {
            // A new file: its directory must exist, and its own name be a plain name.
            let (parent, name) = try Self.split(argument)
            let directory = try openDirectory(parent, argument: argument)
            return Current(path: WorkspacePath(
                argument: argument, root: directory.path.root, relative: WorkspacePath.joined(directory.path.relative, name)
            ), bytes: nil)
        } catch {
            throw error.toolError(argument: argument, workspace: workspace)
        }
        do {
            switch entry.kind {
            case .directory: throw ToolError("\"\(argument)\" is a directory, not a file.")
            case .other: throw ToolError("\"\(argument)\" is not a regular file (a device, pipe or socket).")
            case .regularFile: break
            }
            let path = entry.path
            let file: ReadableFile
            do {
                file = try ReadableFile(descriptor: entry.descriptor)
            } catch {
                throw ToolError("Cannot read \"\(argument)\": \(error).")
            }
            guard file.size <= Self.sizeLimit else {
                throw ToolError("\"\(argument)\" is \(file.size) bytes; files over \(Self.sizeLimit) bytes are not edited.")
            }
            var bytes: [UInt8] = []
            while true {
                try cancellation.check()
                let chunk: [UInt8]
                do { chunk = try file.read(upTo: 64 * 1024) } catch { throw ToolError("Cannot read \"\(argument)\": \(error).") }
                if chunk.isEmpty { break }
                bytes += chunk
                guard bytes.count <= Self.sizeLimit else {
                    throw ToolError("\"\(argument)\" grew past \(Self.sizeLimit) bytes while being read.")
                }
            }
            return Current(path: path, bytes: bytes)
        }
    }

    /// Replaces (or creates) the file at `target` (a `Current.path`) with `bytes`, atomically.
    func replace(_ target: WorkspacePath, with bytes: [UInt8], cancellation: CancellationFlag) throws {
        guard bytes.count <= Self.sizeLimit else {
            throw ToolError("The new content is \(bytes.count) bytes; files over \(Self.sizeLimit) bytes are not written.")
        }
        try cancellation.check()
        let (parent, name) = try Self.split(target.relative)
        let directory = try openDirectory(parent, argument: target.argument)
        let folder = directory.descriptor.raw

        var existing = stat()
        let exists: Bool
        if fstatat(folder, name, &existing, AT_SYMLINK_NOFOLLOW) == 0 {
            guard existing.st_mode & S_IFMT == S_IFREG else {
                throw ToolError("\"\(target.argument)\" changed while it was edited: it is no longer a regular file.")
            }
            exists = true
        } else if errno == ENOENT {
            exists = false
        } else {
            throw ToolError("Cannot write \"\(target.argument)\": \(SystemError(errno)).")
        }

        let temporary = ".\(name).muster-\(UInt32.random(in: .min ... .max)).tmp"
        let raw = openat(folder, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o666)
        guard raw >= 0 else { throw ToolError("Cannot write \"\(target.argument)\": \(SystemError(errno)).") }
        var renamed = false
        defer { if !renamed { unlinkat(folder, temporary, 0) } }
        let file = FileDescriptor(raw)
        try Self.writeAll(bytes, to: file.raw, argument: target.argument)
        if exists {
            // Owner first: chown clears set-id bits, which the mode then puts back.
            _ = fchown(file.raw, existing.st_uid, existing.st_gid)
            guard fchmod(file.raw, existing.st_mode & 0o7777) == 0 else {
                throw ToolError("Cannot keep the mode of \"\(target.argument)\": \(SystemError(errno)).")
            }
        }
        guard fsync(file.raw) == 0 else { throw ToolError("Cannot write \"\(target.argument)\": \(SystemError(errno)).") }
        try cancellation.check()
        guard renameat(folder, temporary, folder, name) == 0 else {
            throw ToolError("Cannot replace \"\(target.argument)\": \(SystemError(errno)).")
        }
        renamed = true
    }

    /// The directory part and the last component of a relative or absolute path.
    static func split(_ path: String) throws -> (parent: String, name: String) {
        let parent: String
        let name: Substring
        if let slash = path.lastIndex(of: "/") {
            parent = slash == path.startIndex ? "/" : String(path[..<slash])
            name = path[path.index(after: slash)...]
        } else {
            parent = "."
            name = Substring(path)
        }
        guard !name.isEmpty, name != ".", name != ".." else {
            throw ToolError("Path \"\(path)\" does not name a file.")
        }
        return (parent, String(name))
    }

    private func openDirectory(_ parent: String, argument: String) throws -> WorkspaceEntry {
        let entry: WorkspaceEntry
        do {
            entry = try WorkspacePath.open(parent, in: workspace, method: resolution)
        } catch .missing {
            throw ToolError("Cannot write \"\(argument)\": the directory \"\(parent)\" does not exist.")
        } catch {
            throw error.toolError(argument: argument, workspace: workspace)
        }
        guard entry.kind == .directory else {
            throw ToolError("Cannot write \"\(argument)\": \"\(parent)\" is not a directory.")
        }
        return entry
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32, argument: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw ToolError("Cannot write \"\(argument)\": \(SystemError(errno)).")
            }
            offset += written
        }
    }
}
