import Foundation

/// Reads a session log a chunk at a time (logs can be large), one line at a time, without
/// decoding anything: the readers (recovery, restore, the session list) pick the lines they want.
enum SessionLogLines {
    /// A line longer than this (no newline in 64 MB) is not a record: it is dropped.
    static let maximumLineLength = 64 << 20

    /// Calls `take` with each line of the regular file at `url` (without its newline) and
    /// whether it ended with one (a last line without it was torn by a kill); `take` returns
    /// false to stop early. Returns false when the file could not be opened or is not a regular
    /// file (a device such as /dev/zero would never end); an overlong line counts as one
    /// unterminated line.
    @discardableResult
    static func read(_ url: URL, _ take: (Data, _ terminated: Bool) -> Bool) -> Bool {
        var info = stat()
        guard stat(url.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG,
              let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        // Bytes in an array scanned with memchr: scanning `Data` a byte at a time cost most of
        // a large restore.
        var pending: [UInt8] = []
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            pending.append(contentsOf: chunk)
            var start = 0
            let going = pending.withUnsafeBufferPointer { buffer -> Bool in
                guard let base = buffer.baseAddress else { return true }
                while start < buffer.count, let found = memchr(base + start, 0x0A, buffer.count - start) {
                    let end = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                    guard take(Data(buffer[start..<end]), true) else { return false }
                    start = end + 1
                }
                return true
            }
            guard going else { return true }
            pending.removeFirst(start)
            if pending.count > maximumLineLength {
                guard take(Data(), false) else { return true }
                pending = []
            }
        }
        if !pending.isEmpty { _ = take(Data(pending), false) }
        return true
    }

    /// The record type a line written by `SessionRecord.jsonLine` starts with, read without
    /// decoding (`{"type":"NAME",...`); nil for any other line.
    static func type(of line: Data) -> Substring? {
        let prefix = #"{"type":""#.utf8
        guard line.starts(with: prefix) else { return nil }
        let rest = line.dropFirst(prefix.count)
        guard let quote = rest.firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        return Substring(decoding: rest[..<quote], as: UTF8.self)
    }
}
