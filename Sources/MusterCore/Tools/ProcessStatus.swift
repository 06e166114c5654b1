import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The fields of `/proc/<pid>/stat` the shell tool needs.
struct ProcessStatus: Sendable, Equatable {
    /// One-letter state: R running, S sleeping, D disk sleep, T stopped, Z zombie, X dead, ...
    var state: Character
    var parentID: pid_t
    var groupID: pid_t
    var sessionID: pid_t
    /// Field 22, `starttime`: clock ticks after boot. With the pid it names one process for good
    /// (a pid is reused, never with the same start time).
    var startTime: UInt64 = 0

    /// Neither a zombie nor dead.
    var isAlive: Bool { state != "Z" && state != "X" && state != "x" }

    /// Reads `/proc/<pid>/stat`; nil when the process is gone (or on a system without /proc).
    static func read(pid: pid_t) -> ProcessStatus? {
        guard let file = try? ReadableFile(path: "/proc/\(pid)/stat"),
              let bytes = try? file.read(upTo: 4096) else { return nil }
        return parse(String(decoding: bytes, as: UTF8.self))
    }

    /// Parses a stat line: `pid (comm) state ppid pgrp session ...`; the command name may itself
    /// contain spaces and parentheses, so fields are counted from the last `)`.
    static func parse(_ line: String) -> ProcessStatus? {
        guard let close = line.lastIndex(of: ")") else { return nil }
        let fields = line[line.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 4, let state = fields[0].first,
              let parent = pid_t(fields[1]), let group = pid_t(fields[2]), let session = pid_t(fields[3])
        else { return nil }
        // Field 22 is the 20th after the command name.
        let startTime = fields.count > 19 ? UInt64(fields[19]) ?? 0 : 0
        return ProcessStatus(state: state, parentID: parent, groupID: group, sessionID: session, startTime: startTime)
    }
}
