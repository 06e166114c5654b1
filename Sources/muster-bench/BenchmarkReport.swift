import Foundation
import MusterCore

/// One measured figure next to the target we hold ourselves to.
struct Figure: Codable, Sendable {
    let group: String
    let name: String
    let value: Double
    let unit: String
    /// Human text of the target, e.g. "< 2 ms".
    let target: String
    /// Whether the value meets the target (nil when there is no target).
    let met: Bool?
    let detail: String?
}

/// Collects figures, prints them as a table, and writes them as JSON.
final class BenchmarkReport: Sendable {
    private let collected = Locked<[Figure]>([])
    var figures: [Figure] { collected.withLock { $0 } }

    func add(_ group: String, _ name: String, _ value: Double, unit: String, target: String = "", met: Bool? = nil, detail: String? = nil) {
        let figure = Figure(group: group, name: name, value: value, unit: unit, target: target, met: met, detail: detail)
        collected.withLock { $0.append(figure) }
        let verdict = met.map { $0 ? "ok" : "MISSED" } ?? ""
        FileHandle.standardError.write(Data("  \(group) · \(name): \(Self.format(value)) \(unit) \(target.isEmpty ? "" : "(target \(target)) ")\(verdict)\n".utf8))
    }

    func printTable() {
        let header = ["group", "figure", "value", "target", ""]
        let rows = figures.map { f in
            [f.group, f.name, "\(Self.format(f.value)) \(f.unit)", f.target, f.met.map { $0 ? "ok" : "MISSED" } ?? ""]
        }
        let widths = (0..<header.count).map { column in
            ([header] + rows).map { $0[column].count }.max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: " | ")
        }
        print(line(header))
        print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "-|-"))
        for row in rows { print(line(row)) }
    }

    func writeJSON(to url: URL, machine: [String: String]) throws {
        struct Document: Codable {
            let date: String
            let machine: [String: String]
            let figures: [Figure]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let document = Document(date: ISO8601DateFormatter().string(from: Date()), machine: machine, figures: figures)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try encoder.encode(document).write(to: url)
    }

    static func format(_ value: Double) -> String {
        if value == 0 { return "0" }
        if abs(value) >= 1000 { return String(format: "%.0f", value) }
        if abs(value) >= 10 { return String(format: "%.1f", value) }
        return String(format: "%.3f", value)
    }
}

/// Median, p99 and max of a sample, in the sample's unit.
struct Distribution {
    let median: Double
    let p99: Double
    let max: Double

    init(_ samples: [Double]) {
        let sorted = samples.sorted()
        func quantile(_ q: Double) -> Double {
            guard !sorted.isEmpty else { return .nan }
            let index = Int((q * Double(sorted.count - 1)).rounded(.up))
            return sorted[Swift.min(index, sorted.count - 1)]
        }
        median = quantile(0.5)
        p99 = quantile(0.99)
        max = sorted.last ?? .nan
    }
}

/// Process measurements from /proc.
enum ProcessStats {
    /// Resident set size of this process in bytes.
    static func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let digits = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
            return digits * 1024
        }
        return 0
    }

    /// CPU time (user and system) `pid` used so far, in seconds: its process CPU clock
    /// (`clock_getcpuclockid`), which counts every thread, also those that have exited, to the
    /// nanosecond; the 10 ms clock ticks of /proc/PID/stat only when that clock cannot be read.
    static func cpuSeconds(pid: Int32) -> Double? {
        var clock = clockid_t()
        var time = timespec()
        if clock_getcpuclockid(pid, &clock) == 0, clock_gettime(clock, &time) == 0 {
            return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
        }
        return cpuSecondsFromTicks(pid: pid)
    }

    private static func cpuSecondsFromTicks(pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // Fields after the command: state is index 0, utime is 11, stime is 12.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return (user + system) / ticks
    }
}
