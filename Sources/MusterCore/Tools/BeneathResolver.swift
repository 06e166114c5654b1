import CMusterSystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Opens a path below a held directory descriptor so that no step, link or rename can lead
/// out of it: the kernel's `openat2(RESOLVE_BENEATH)` where it exists, else a walk of our own.
///
/// The walk opens one component at a time with `O_NOFOLLOW` from the descriptor of the
/// directory before it, reads each symbolic link itself and splices its target in, and goes up
/// a `..` by dropping a descriptor it holds: a `..` with nothing left to drop, or a link to an
/// absolute path outside the root, is refused. Nothing is ever re-resolved by name.
enum BeneathResolver {
    /// How to resolve: `automatic` tries `openat2` first; `walk` always walks (tests force it).
    enum Method: Sendable, Equatable, CaseIterable {
        case automatic
        case walk
    }

    /// Why a path could not be opened below the root.
    enum Failure: Error, Equatable {
        /// A `..`, or a link, leads out of the root.
        case outside
        case missing
        /// A symbolic link on the way points to nothing.
        case brokenLink
        case tooManyLinks
        case system(SystemError)
    }

    /// What was opened: the descriptor and its physical path below the root ("" for the root).
    struct Opened: ~Copyable {
        var descriptor: FileDescriptor
        var relative: String
    }

    /// Flags of every open: never blocks (FIFOs), never takes a terminal, never leaks to children.
    static let openFlags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC
    /// Links followed in one resolution at most (the kernel's own limit).
    static let maxLinks = 40

    /// Opens `components` (a path relative to the root, already split at `/`) below `root`.
    /// `rootPath` is the root's real absolute path: it judges links to absolute paths and names
    /// what was opened.
    static func open(
        _ components: [String], below root: Int32, rootPath: String, method: Method
    ) throws(Failure) -> Opened {
        if method == .automatic, let opened = openWithKernel(components, below: root, rootPath: rootPath) {
            return opened
        }
        // The walk is the authority: it also explains every refusal and failure of openat2, and
        // accepts absolute links into the root, which RESOLVE_BENEATH refuses outright.
        return try walk(components, below: root, rootPath: rootPath)
    }

    /// True when this kernel has `openat2` and refuses a `..` out of the directory with EXDEV.
    static func kernelConfinesBeneath() -> Bool {
        let raw = muster_openat2_beneath(AT_FDCWD, "..", UInt64(openFlags))
        if raw >= 0 { close(raw) }
        return raw < 0 && errno == EXDEV
    }

    /// `openat2` with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS; nil when it failed for any reason.
    private static func openWithKernel(
        _ components: [String], below root: Int32, rootPath: String
    ) -> Opened? {
        let path = components.isEmpty ? "." : components.joined(separator: "/")
        let raw = muster_openat2_beneath(root, path, UInt64(openFlags))
        guard raw >= 0 else { return nil }
        let descriptor = FileDescriptor(raw)
        // The name is only for display: the kernel's current path of the open file.
        let relative = currentPath(of: descriptor.raw).flatMap { below(rootPath, $0) }
            ?? lexicalPath(components)
        return Opened(descriptor: descriptor, relative: relative)
    }

    /// A component still to resolve, and whether it came from a symbolic link's target.
    private struct Pending {
        var name: String
        var fromLink: Bool
    }

    private static func walk(
        _ components: [String], below root: Int32, rootPath: String
    ) throws(Failure) -> Opened {
        // Directories below the root, each opened with O_NOFOLLOW from the one before: the
        // physical path so far. The root itself is not in it (and is not ours to close).
        var held: [(descriptor: Int32, name: String)] = []
        defer { for directory in held { close(directory.descriptor) } }
        var pending = components.reversed().map { Pending(name: $0, fromLink: false) }
        var linksFollowed = 0

        while let component = pending.popLast() {
            let name = component.name
            if name.isEmpty || name == "." { continue }
            if name == ".." {
                guard let parent = held.popLast() else { throw .outside }
                close(parent.descriptor)
                continue
            }
            let parent = held.last?.descriptor ?? root
            let raw = openat(parent, name, openFlags | O_NOFOLLOW)
            if raw < 0 {
                let failure = errno
                switch failure {
                case ELOOP, EMLINK:
                    // O_NOFOLLOW met a symbolic link (EMLINK on BSDs): follow it ourselves.
                    guard let target = readLink(name, in: parent) else { throw .system(SystemError(failure)) }
                    linksFollowed += 1
                    guard linksFollowed <= maxLinks else { throw .tooManyLinks }
                    var targetComponents = target.split(separator: "/").map(String.init)
                    if target.hasPrefix("/") {
                        guard let inside = below(rootPath, "/" + targetComponents.joined(separator: "/")) else {
                            throw .outside
                        }
                        for directory in held { close(directory.descriptor) }
                        held.removeAll()
                        targetComponents = inside.split(separator: "/").map(String.init)
                    }
                    pending.append(contentsOf: targetComponents.reversed().map { Pending(name: $0, fromLink: true) })
                    continue
                case ENOENT, ENOTDIR:
                    throw component.fromLink ? .brokenLink : .missing
                default:
                    throw .system(SystemError(failure))
                }
            }
            var info = stat()
            guard fstat(raw, &info) == 0 else {
                let failure = errno
                close(raw)
                throw .system(SystemError(failure))
            }
            if info.st_mode & S_IFMT == S_IFDIR {
                held.append((raw, name))
                continue
            }
            // Anything but a directory must be the last component ("file/x" and "file/.." do not exist).
            guard pending.allSatisfy({ $0.name.isEmpty }) else {
                close(raw)
                throw .missing
            }
            let relative = (held.map(\.name) + [name]).joined(separator: "/")
            return Opened(descriptor: FileDescriptor(raw), relative: relative)
        }

        if let last = held.popLast() {
            let relative = (held.map(\.name) + [last.name]).joined(separator: "/")
            return Opened(descriptor: FileDescriptor(last.descriptor), relative: relative)
        }
        let copy = dup(root)
        guard copy >= 0 else { throw .system(SystemError(errno)) }
        return Opened(descriptor: FileDescriptor(copy), relative: "")
    }

    /// The target of the symbolic link `name` in `directory`, or nil when it is not a link.
    static func readLink(_ name: String, in directory: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlinkat(directory, name, &buffer, buffer.count - 1)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The path the kernel currently knows for an open descriptor (Linux /proc).
    private static func currentPath(of descriptor: Int32) -> String? {
        readLink("/proc/self/fd/\(descriptor)", in: AT_FDCWD)
    }

    /// `path` relative to `root` ("" for the root itself), or nil when it is not below it.
    static func below(_ root: String, _ path: String) -> String? {
        if path == root { return "" }
        if root == "/" { return path.hasPrefix("/") ? String(path.dropFirst()) : nil }
        return path.hasPrefix(root + "/") ? String(path.dropFirst(root.count + 1)) : nil
    }

    /// The components with `.` dropped and `name/..` folded, for display only.
    static func lexicalPath(_ components: [String]) -> String {
        var parts: [String] = []
        for component in components where !component.isEmpty && component != "." {
            if component == "..", !parts.isEmpty, parts.last != ".." { parts.removeLast() } else { parts.append(component) }
        }
        return parts.joined(separator: "/")
    }
}
