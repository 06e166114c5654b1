import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Every process in /proc at one moment: parents, groups and start times, to find descendants.
struct ProcessTable: Sendable {
    var processes: [pid_t: ProcessStatus]

    /// Reads /proc (empty on a system without it).
    static func read() -> ProcessTable {
        var processes: [pid_t: ProcessStatus] = [:]
        _ = forEachProcessID { pid in
            if let status = ProcessStatus.read(pid: pid) { processes[pid] = status }
        }
        return ProcessTable(processes: processes)
    }

    /// Calls `body` with the pid of every process in /proc, read with `readdir` (no `String` per
    /// entry: a stop lists /proc several times). False when /proc cannot be read.
    @discardableResult
    static func forEachProcessID(_ body: (pid_t) -> Void) -> Bool {
        #if os(Linux)
        guard let directory = opendir("/proc") else { return false }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let pid = withUnsafeBytes(of: entry.pointee.d_name) { name -> pid_t in
                var value: Int32 = 0
                for byte in name {
                    if byte == 0 { break }
                    guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), value < 100_000_000 else { return 0 }
                    value = value * 10 + Int32(byte - UInt8(ascii: "0"))
                }
                return value
            }
            if pid > 0 { body(pid) }
        }
        return true
        #else
        return false
        #endif
    }

    /// This process's own children, read from `/proc/self/task/<tid>/children` (one small file
    /// per thread: a child belongs to the thread that forked it, an adopted orphan to the
    /// subreaper's first live thread) instead of listing every process of the system. Zombies
    /// are included. Nil where those files cannot be read (a kernel without
    /// CONFIG_PROC_CHILDREN, or no /proc).
    static func ownChildren() -> [pid_t]? {
        #if os(Linux)
        guard let directory = opendir("/proc/self/task") else { return nil }
        defer { closedir(directory) }
        let base = dirfd(directory)
        var children: [pid_t] = []
        var readAny = false
        while let entry = readdir(directory) {
            // "<tid>/children\0", built in a small stack buffer (a tid has at most 10 digits).
            let opened = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { path -> Int32 in
                guard let start = path.baseAddress else { return -1 }
                var length = 0
                let isThread = withUnsafeBytes(of: entry.pointee.d_name) { name -> Bool in
                    for byte in name {
                        if byte == 0 { break }
                        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), length < 12 else { return false }
                        start[length] = CChar(bitPattern: byte)
                        length += 1
                    }
                    return length > 0
                }
                guard isThread else { return -1 }
                for byte in "/children".utf8 { start[length] = CChar(bitPattern: byte); length += 1 }
                start[length] = 0
                return openat(base, start, O_RDONLY | O_CLOEXEC)
            }
            guard opened >= 0 else { continue }
            defer { close(opened) }
            readAny = true
            // Space-separated pids; a number may straddle two reads.
            var value: Int32 = 0
            var inNumber = false
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4_096) { buffer in
                guard let start = buffer.baseAddress else { return }
                while true {
                    let got = systemRead(opened, start, buffer.count)
                    if got < 0, errno == EINTR { continue }
                    guard got > 0 else { break }
                    for index in 0..<got {
                        let byte = start[index]
                        if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), value < 100_000_000 {
                            value = value * 10 + Int32(byte - UInt8(ascii: "0"))
                            inNumber = true
                        } else if inNumber {
                            if value > 0 { children.append(value) }
                            value = 0
                            inNumber = false
                        }
                    }
                }
            }
            if inNumber, value > 0 { children.append(value) }
        }
        return readAny ? children : nil
        #else
        return nil
        #endif
    }

    /// Direct children of `parent`.
    func children(of parent: pid_t) -> [pid_t] {
        processes.compactMap { $0.value.parentID == parent ? $0.key : nil }
    }

    /// `root`'s descendants at any depth (not `root` itself), parents before their children.
    func descendants(of root: pid_t) -> [pid_t] {
        var byParent: [pid_t: [pid_t]] = [:]
        for (pid, status) in processes { byParent[status.parentID, default: []].append(pid) }
        var found: [pid_t] = []
        var queue = byParent[root] ?? []
        while let next = queue.popLast() {
            found.append(next)
            queue.append(contentsOf: byParent[next] ?? [])
        }
        return found
    }

    /// True when the process's initial environment holds exactly `entry` (`NAME=value`).
    /// False for zombies, processes of other users and processes that are gone.
    static func environment(of pid: pid_t, contains entry: String) -> Bool {
        environmentEntries(of: pid, withPrefix: entry).contains(entry)
    }

    /// The entries of the process's initial environment that start with `prefix`.
    static func environmentEntries(of pid: pid_t, withPrefix prefix: String) -> [String] {
        guard let file = try? ReadableFile(path: "/proc/\(pid)/environ"),
              let bytes = try? file.read(upTo: 1 << 20) else { return [] }
        let wanted = Array(prefix.utf8)
        return bytes.split(separator: 0, omittingEmptySubsequences: true).compactMap { entry in
            entry.starts(with: wanted) ? String(decoding: entry, as: UTF8.self) : nil
        }
    }
}
