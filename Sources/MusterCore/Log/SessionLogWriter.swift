import Foundation

/// The session log file (a regular file, never a FIFO or device): each batch of records goes to
/// the OS with one `write(2)` as it is handed over, so a session killed by SIGKILL keeps every
/// record written.
public final class SessionLogWriter: SessionRecordSink {
    private struct State {
        var descriptor: Int32?
        /// A line was left incomplete (a torn earlier session, or a failed partial write):
        /// the next record starts on a new line so it stays parseable.
        var lineOpen: Bool
    }

    /// The log file.
    public let url: URL
    // The lock is uncontended (one I/O queue writes); it makes the descriptor safe to share.
    private let state: Locked<State>

    /// Opens `url` for appending, creating it and its directory as needed.
    public init(url: URL) throws(SessionSinkError) {
        self.url = url
        let directory = url.deletingLastPathComponent()
        if let failure = Self.makeDirectories(directory.path) {
            throw SessionSinkError("Cannot create the session log directory \(directory.path): \(failure).")
        }
        // Only a regular file: a FIFO nobody reads, a socket or a terminal would block the
        // writes (and the end of the session) for as long as nobody reads them.
        var info = stat()
        if stat(url.path, &info) == 0, let kind = Self.irregularKind(info.st_mode) {
            throw Self.notRegular(url, kind)
        }
        // O_NONBLOCK: whatever the name has become since the check, opening it never waits
        // (a FIFO without a reader); it changes nothing for a regular file.
        let descriptor = open(url.path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NONBLOCK, 0o600)
        guard descriptor >= 0 else {
            throw SessionSinkError("Cannot open the session log \(url.path): \(String(cString: strerror(errno))).")
        }
        guard fstat(descriptor, &info) == 0, Self.irregularKind(info.st_mode) == nil else {
            let kind = Self.irregularKind(info.st_mode) ?? "not a regular file"
            _ = Foundation.close(descriptor)
            throw Self.notRegular(url, kind)
        }
        state = Locked(State(descriptor: descriptor, lineOpen: Self.endsMidLine(descriptor)))
    }

    /// What the file is when it is not a regular file (`a FIFO`), nil for a regular file.
    private static func irregularKind(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: nil
        case S_IFIFO: "a FIFO"
        case S_IFSOCK: "a socket"
        case S_IFCHR, S_IFBLK: "a device"
        case S_IFDIR: "a directory"
        default: "not a regular file"
        }
    }

    private static func notRegular(_ url: URL, _ kind: String) -> SessionSinkError {
        SessionSinkError("The session log \(url.path) is \(kind); Muster writes its log only to a regular file.")
    }

    deinit { close() }

    public var displayName: String { "the session log \(url.path)" }

    public var wantsTextDeltas: Bool { false }

    public func write(_ line: String) throws(SessionSinkError) {
        let failure = state.withLock { state -> SessionSinkError? in
            guard let descriptor = state.descriptor else { return SessionSinkError("\(displayName) is closed.") }
            var bytes = Array(line.utf8)
            if state.lineOpen { bytes.insert(UInt8(ascii: "\n"), at: 0) }
            let written = Self.writeAll(bytes, to: descriptor)
            if written.count == bytes.count {
                state.lineOpen = false
            } else if written.count > 0 {
                state.lineOpen = true
            }
            return written.errno.map { SessionSinkError("Cannot write \(displayName): \(String(cString: strerror($0))).") }
        }
        if let failure { throw failure }
    }

    public func close() {
        state.withLock { state in
            if let descriptor = state.descriptor { _ = Foundation.close(descriptor) }
            state.descriptor = nil
        }
    }

    /// Writes until everything is written or an error; EINTR and short writes are retried.
    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> (count: Int, errno: Int32?) {
        bytes.withUnsafeBytes { buffer -> (Int, Int32?) in
            guard let base = buffer.baseAddress else { return (0, nil) }
            var offset = 0
            while offset < buffer.count {
                let result = Foundation.write(descriptor, base + offset, buffer.count - offset)
                if result < 0 {
                    if errno == EINTR { continue }
                    return (offset, errno)
                }
                if result == 0 { return (offset, EIO) }
                offset += result
            }
            return (offset, nil)
        }
    }

    /// True when the file is not empty and its last byte is not a newline.
    private static func endsMidLine(_ descriptor: Int32) -> Bool {
        let size = lseek(descriptor, 0, SEEK_END)
        guard size > 0 else { return false }
        var last: UInt8 = 0
        return pread(descriptor, &last, 1, size - 1) == 1 && last != UInt8(ascii: "\n")
    }

    /// `mkdir -p` (mode 0700: logs hold what the agents saw); returns why it failed, if it did.
    /// POSIX calls rather than FileManager, for the system's own reason in the message.
    private static func makeDirectories(_ path: String) -> String? {
        var info = stat()
        if stat(path, &info) == 0 {
            return (info.st_mode & S_IFMT) == S_IFDIR ? nil : "\(path) is not a directory"
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path, let failure = makeDirectories(parent) { return failure }
        if mkdir(path, 0o700) == 0 || errno == EEXIST { return nil }
        return String(cString: strerror(errno))
    }
}
