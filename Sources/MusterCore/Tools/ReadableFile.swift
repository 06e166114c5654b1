import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A regular file opened for reading, closed when the value goes away.
struct ReadableFile: ~Copyable {
    /// Why a path could not be opened as a regular file.
    enum OpenFailure: Error, Equatable, CustomStringConvertible {
        case missing
        case directory
        case notRegularFile
        case system(String)

        var description: String {
            switch self {
            case .missing: "it does not exist"
            case .directory: "it is a directory"
            case .notRegularFile: "it is not a regular file"
            case .system(let reason): reason
            }
        }
    }

    /// Bytes inspected to tell text from binary (git looks at the same amount).
    static let binaryProbeSize = 8_000

    private let descriptor: FileDescriptor
    /// File size when it was opened.
    let size: Int

    /// Opens an absolute `path` (such as a /proc file) without blocking on FIFOs or devices,
    /// refusing anything but a regular file. Not for workspace paths: those are opened through
    /// `WorkspacePath.open`, which confines them.
    init(path: String) throws(OpenFailure) {
        let raw = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard raw >= 0 else { throw Self.failure(errno) }
        try self.init(descriptor: FileDescriptor(raw))
    }

    /// Opens the entry `name` of the directory `directory` without following a symbolic link,
    /// without blocking, and refusing anything but a regular file.
    init(name: String, in directory: Int32) throws(OpenFailure) {
        let raw = openat(directory, name, BeneathResolver.openFlags | O_NOFOLLOW)
        guard raw >= 0 else { throw Self.failure(errno) }
        try self.init(descriptor: FileDescriptor(raw))
    }

    /// Takes an open descriptor and checks, on that very descriptor, that it is a regular file.
    init(descriptor: consuming FileDescriptor) throws(OpenFailure) {
        switch descriptor.status() {
        case .failure(let error):
            throw .system(error.description)
        case .success(let info):
            switch info.st_mode & S_IFMT {
            case S_IFREG: break
            case S_IFDIR: throw .directory
            default: throw .notRegularFile
            }
            self.size = Int(info.st_size)
        }
        self.descriptor = descriptor
    }

    private static func failure(_ code: Int32) -> OpenFailure {
        switch code {
        case ENOENT, ENOTDIR: .missing
        // O_NOFOLLOW met a symbolic link: not a regular file to read here.
        case ELOOP: .notRegularFile
        default: .system(String(cString: strerror(code)))
        }
    }

    /// Reads up to `count` bytes; an empty array means the end of the file.
    func read(upTo count: Int) throws(OpenFailure) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        while true {
            let got = bytes.withUnsafeMutableBytes { systemRead(descriptor.raw, $0.baseAddress, count) }
            if got >= 0 {
                bytes.removeSubrange(got...)
                return bytes
            }
            if errno != EINTR { throw .system(String(cString: strerror(errno))) }
        }
    }

    /// True when the bytes look binary: a NUL byte among them.
    static func looksBinary(_ bytes: some Sequence<UInt8>) -> Bool {
        bytes.contains(0)
    }
}

/// `read(2)`, named apart from the `read` methods that call it (`ReadableFile`, `ProcessStatus`).
func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    #if canImport(Darwin)
    Darwin.read(descriptor, buffer, count)
    #elseif canImport(Musl)
    Musl.read(descriptor, buffer, count)
    #else
    Glibc.read(descriptor, buffer, count)
    #endif
}
