import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The output file of one background shell: everything the command writes (standard output
/// and standard error, interleaved as written), bounded. Past `rotateAt` bytes the file becomes
/// `<name>.1.log` (replacing the older one) and a new file begins, so at most the last
/// `2 × rotateAt` bytes are kept; what was dropped is counted and said.
///
/// Written by one pump thread, read (its tail) by commands and tools: a lock guards the
/// descriptor and the counts. Every call does blocking file I/O: call it off the cooperative pool.
public final class ShellOutputFile: Sendable {
    /// The default rotation size: 10 MB per file, 20 MB kept.
    public static let defaultRotateAt = 10 * 1024 * 1024

    /// The file being written.
    public let url: URL
    /// The previous file, kept after a rotation.
    public let previousURL: URL
    let rotateAt: Int

    private struct State {
        var descriptor: Int32
        /// Bytes in the current file.
        var size = 0
        /// Bytes in the previous file.
        var previousSize = 0
        /// Bytes written in all.
        var total = 0
        /// Bytes dropped by rotations.
        var dropped = 0
        var writeError: String?
    }

    // Guards the descriptor and every count: the pump thread writes, readers take tails.
    private let state: Locked<State>

    /// Creates (truncating) `<directory>/<name>.log`; throws when it cannot be opened.
    public init(directory: URL, name: String, rotateAt: Int = defaultRotateAt) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        url = directory.appendingPathComponent("\(name).log")
        previousURL = directory.appendingPathComponent("\(name).1.log")
        self.rotateAt = max(1, rotateAt)
        unlink(previousURL.path)
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ToolError("Cannot create the output file \(url.path): \(String(cString: strerror(errno))).")
        }
        state = Locked(State(descriptor: descriptor))
    }

    deinit {
        state.withLock { state in
            if state.descriptor >= 0 { Glibc.close(state.descriptor) }
        }
    }

    /// Appends `bytes`, rotating first when the current file is full.
    func write(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        state.withLock { state in
            guard state.descriptor >= 0 else { return }
            if state.size >= rotateAt { rotate(&state) }
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(state.descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    state.writeError = String(cString: strerror(errno))
                    return
                }
                offset += written
            }
            state.size += bytes.count
            state.total += bytes.count
        }
    }

    private func rotate(_ state: inout State) {
        Glibc.close(state.descriptor)
        state.dropped += state.previousSize
        if rename(url.path, previousURL.path) != 0 {
            state.dropped += state.size
        }
        state.previousSize = state.size
        state.size = 0
        state.descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        if state.descriptor < 0 { state.writeError = String(cString: strerror(errno)) }
    }

    /// Closes the file; later writes are dropped (tails still read it).
    func close() {
        state.withLock { state in
            if state.descriptor >= 0 { Glibc.close(state.descriptor) }
            state.descriptor = -1
        }
    }

    /// Bytes written in all, and bytes dropped by rotation.
    public var counts: (total: Int, dropped: Int) {
        state.withLock { ($0.total, $0.dropped) }
    }

    /// The last `count` lines (each cut to `lineLimit` characters), oldest first, read from at
    /// most the last `maxBytes` of the output; and a note saying what was dropped, if anything.
    public func tail(lines count: Int, lineLimit: Int = 500, maxBytes: Int = 256 * 1024) -> (lines: [String], note: String?) {
        // Under the lock: a rotation cannot move the files between the two reads.
        let (bytes, dropped) = state.withLock { state -> ([UInt8], Int) in
            var bytes = Self.readEnd(of: url.path, maxBytes: maxBytes)
            if bytes.count < maxBytes, state.previousSize > 0, Self.countNewlines(bytes) <= count {
                bytes = Self.readEnd(of: previousURL.path, maxBytes: maxBytes - bytes.count) + bytes
            }
            return (bytes, state.dropped)
        }
        var text = String(decoding: bytes, as: UTF8.self)
        if text.hasSuffix("\n") { text.removeLast() }
        var all = text.isEmpty ? [] : text.split(separator: "\n", omittingEmptySubsequences: false)
        if all.count > count { all = Array(all.suffix(count)) }
        let shown = all.map { line -> String in
            let trimmed = line.hasSuffix("\r") ? line.dropLast() : line[...]
            return trimmed.count > lineLimit ? String(trimmed.prefix(lineLimit - 1)) + "…" : String(trimmed)
        }
        let note = dropped > 0
            ? "output rotated: the first \(Self.megabytes(dropped)) were dropped; the last \(Self.megabytes(2 * rotateAt)) are kept in \(url.path) and \(previousURL.lastPathComponent)"
            : nil
        return (max(0, count) == 0 ? [] : shown, note)
    }

    static func megabytes(_ bytes: Int) -> String {
        let value = Double(bytes) / (1024 * 1024)
        return value >= 10 ? "\(Int(value.rounded())) MB" : String(format: "%.1f MB", value)
    }

    private static func countNewlines(_ bytes: [UInt8]) -> Int {
        bytes.reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
    }

    private static func readEnd(of path: String, maxBytes: Int) -> [UInt8] {
        guard maxBytes > 0 else { return [] }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return [] }
        defer { Glibc.close(descriptor) }
        let size = Int(lseek(descriptor, 0, SEEK_END))
        guard size > 0 else { return [] }
        let start = max(0, size - maxBytes)
        var buffer = [UInt8](repeating: 0, count: size - start)
        let read = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(start)) }
        guard read > 0 else { return [] }
        buffer.removeLast(buffer.count - read)
        // Starting mid-file: drop the partial first line.
        if start > 0, let newline = buffer.firstIndex(of: 10) { buffer.removeFirst(newline + 1) }
        return buffer
    }
}
