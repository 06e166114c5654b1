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
    enum OpenFailure: Error, Equatable {
        case missing
        case directory
        case notRegularFile
        case system(String)
    }

    /// Bytes inspected to tell text from binary (git looks at the same amount).
    static let binaryProbeSize = 8_000

    private let descriptor: Int32
    /// File size when it was opened.
    let size: Int

    /// Opens `path` without blocking on FIFOs or devices, refusing anything but a regular file.
    init(path: String) throws(OpenFailure) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            let failure = errno
            throw failure == ENOENT || failure == ENOTDIR ? .missing : .system(String(cString: strerror(failure)))
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let failure = errno
            close(descriptor)
            throw .system(String(cString: strerror(failure)))
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR:
            close(descriptor)
            throw .directory
        default:
            close(descriptor)
            throw .notRegularFile
        }
        self.descriptor = descriptor
        self.size = Int(info.st_size)
    }

    deinit { close(descriptor) }

    /// Reads up to `count` bytes; an empty array means the end of the file.
    func read(upTo count: Int) throws(OpenFailure) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        while true {
            let got = bytes.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress, count) }
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

/// `read(2)`, named apart from `ReadableFile.read`.
private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    #if canImport(Darwin)
    Darwin.read(descriptor, buffer, count)
    #elseif canImport(Musl)
    Musl.read(descriptor, buffer, count)
    #else
    Glibc.read(descriptor, buffer, count)
    #endif
}
