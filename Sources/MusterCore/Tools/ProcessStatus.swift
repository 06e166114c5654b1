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

    /// Bytes read of a stat line: about 300 in practice; the fields needed come within the first
    /// 64 + 16 (the command name, at most 64 bytes) plus about 200.
    static let lineLimit = 1_024

    /// Reads `/proc/<pid>/stat`; nil when the process is gone (or on a system without /proc).
    ///
    /// A stop scans every process of the system, often several times, so this is a plain open and
    /// read into a stack buffer, parsed as bytes: the path built without formatting, no `fstat`,
    /// no `String`. (Through `ReadableFile` and a `String` it cost about 13 µs a process here, so
    /// 2.2 ms a scan of 170 processes, the largest part of a shell stop.)
    static func read(pid: pid_t) -> ProcessStatus? {
        guard pid > 0 else { return nil }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: lineLimit) { buffer -> ProcessStatus? in
            guard let base = buffer.baseAddress else { return nil }
            // "/proc/<pid>/stat\0", written into the same buffer before it receives the line.
            let prefix: StaticString = "/proc/"
            var length = 0
            prefix.withUTF8Buffer { bytes in
                for byte in bytes { base[length] = byte; length += 1 }
            }
            var digitCount = 1
            var scale: UInt32 = 10
            while digitCount < 10, UInt32(pid) >= scale { digitCount += 1; scale &*= 10 }
            var rest = UInt32(pid)
            for position in stride(from: length + digitCount - 1, through: length, by: -1) {
                base[position] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
            length += digitCount
            for byte in "/stat".utf8 { base[length] = byte; length += 1 }
            base[length] = 0
            let descriptor = base.withMemoryRebound(to: CChar.self, capacity: length + 1) { path in
                open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)
            }
            guard descriptor >= 0 else { return nil }
            defer { close(descriptor) }
            var count = 0
            while count < lineLimit {
                let got = systemRead(descriptor, base + count, lineLimit - count)
                if got < 0, errno == EINTR { continue }
                guard got > 0 else { break }
                count += got
            }
            return parse(UnsafeBufferPointer(start: base, count: count))
        }
    }

    /// Parses a stat line: `pid (comm) state ppid pgrp session ...`; the command name may itself
    /// contain spaces and parentheses, so fields are counted from the last `)`.
    static func parse(_ line: String) -> ProcessStatus? {
        var line = line
        return line.withUTF8 { parse($0) }
    }

    /// The same, on the line's bytes.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> ProcessStatus? {
        guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        var index = close + 1
        var field = 0
        var state: UInt8 = 0
        var numbers: (parent: Int64, group: Int64, session: Int64, start: UInt64) = (0, 0, 0, 0)
        var parsed = 0
        // Fields after the name: 0 state, 1 ppid, 2 pgrp, 3 session, ..., 19 starttime.
        while index < bytes.count, field <= 19 {
            while index < bytes.count, bytes[index] == UInt8(ascii: " ") { index += 1 }
            guard index < bytes.count else { break }
            let start = index
            while index < bytes.count, bytes[index] != UInt8(ascii: " "), bytes[index] != UInt8(ascii: "\n") { index += 1 }
            let token = UnsafeBufferPointer(rebasing: bytes[start..<index])
            switch field {
            case 0:
                guard token.count >= 1 else { return nil }
                state = token[0]
                parsed += 1
            case 1, 2, 3:
                guard let value = signedNumber(token) else { return nil }
                switch field {
                case 1: numbers.parent = value
                case 2: numbers.group = value
                default: numbers.session = value
                }
                parsed += 1
            case 19:
                numbers.start = signedNumber(token).map { UInt64(max(0, $0)) } ?? 0
            default:
                break
            }
            field += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "\n") { break }
        }
        guard parsed == 4, state < 0x80,
              let parent = pid_t(exactly: numbers.parent), let group = pid_t(exactly: numbers.group),
              let session = pid_t(exactly: numbers.session)
        else { return nil }
        return ProcessStatus(
            state: Character(Unicode.Scalar(state)), parentID: parent, groupID: group, sessionID: session,
            startTime: numbers.start
        )
    }

    /// A decimal number, possibly negative (`tty_nr`, `tpgid` are -1); nil when it is not one.
    private static func signedNumber(_ token: UnsafeBufferPointer<UInt8>) -> Int64? {
        var index = 0
        var negative = false
        if token.first == UInt8(ascii: "-") { negative = true; index = 1 }
        guard index < token.count, token.count - index <= 19 else { return nil }
        var value: Int64 = 0
        while index < token.count {
            let byte = token[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            index += 1
        }
        return negative ? -value : value
    }
}
