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
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        var processes: [pid_t: ProcessStatus] = [:]
        for name in names {
            guard let pid = pid_t(name), let status = ProcessStatus.read(pid: pid) else { continue }
            processes[pid] = status
        }
        return ProcessTable(processes: processes)
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
