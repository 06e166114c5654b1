#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file descriptor that is closed exactly once, when the value goes away.
struct FileDescriptor: ~Copyable {
    let raw: Int32

    init(_ raw: Int32) {
        precondition(raw >= 0)
        self.raw = raw
    }

    deinit { close(raw) }

    /// The descriptor's file status, or the `errno` of `fstat`.
    func status() -> Result<stat, SystemError> {
        var info = stat()
        return fstat(raw, &info) == 0 ? .success(info) : .failure(SystemError(errno))
    }
}
