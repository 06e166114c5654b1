import Foundation
import MusterCore
import MusterTestSupport

/// The session log under a flood of progress lines (a `yes | head -n 3000000` in a tool call):
/// resident memory and how far the log falls behind the session.
struct LogFloodBenchmark {
    let report: BenchmarkReport
    let workspace: URL

    func run(lines: Int) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("muster-bench-log-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("flood.jsonl")

        let model = fixedTurnModel(calls: [
            ToolCall(id: "flood", name: "emit", arguments: ["tag": "y", "count": .number(Double(lines))]),
        ])
        let registry = TaskRegistry()
        let runtime = AgentRuntime(registry: registry, model: model, tools: [Self.stampedEmitTool], workspace: workspace)
        let session = Session(runtime: runtime)
        let recorder = SessionRecorder.start(
            session: session, log: .file(url), metadata: SessionMetadata(mode: .headless, workspace: workspace.path)
        )
        // Earlier benchmarks of a whole run leave hundreds of MB freed but resident (glibc keeps
        // them): give back what it can, and count the flood's growth over what is left.
        _ = malloc_trim(0)
        let before = ProcessStats.residentBytes()
        await session.start()
        let flooding = Locked(true)
        // Samples every 50 ms, on a thread of its own: resident memory, and the age of the
        // newest progress line in the log file (each line carries the time it was made).
        let sampler = Thread {
            var peak = 0
            var worstLag = 0.0
            var offset: off_t = 0
            let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
            defer { if descriptor >= 0 { close(descriptor) } }
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            while flooding.withLock({ $0 }) {
                peak = max(peak, ProcessStats.residentBytes())
                var newest: Double?
                while descriptor >= 0 {
                    let count = pread(descriptor, &buffer, buffer.count, offset)
                    guard count > 0 else { break }
                    // Only whole lines: a read that ends inside a stamp would give a time in 1970
                    // (a lag of 56 years was once reported). The partial line is read again next time.
                    guard let lastNewline = buffer[..<count].lastIndex(of: UInt8(ascii: "\n")) else { break }
                    offset += off_t(lastNewline + 1)
                    if let stamp = Self.newestStamp(in: buffer[...lastNewline]) { newest = stamp }
                }
                if let newest { worstLag = max(worstLag, Date().timeIntervalSince1970 - newest) }
                usleep(50_000)
            }
            SamplerResult.shared.withLock { $0 = (peak, worstLag) }
        }
        sampler.start()
        let start = ContinuousClock.now
        await session.send(.prompt("flood"))
        await session.waitUntilIdle()
        await recorder.flushLog()
        let elapsed = ContinuousClock.now - start
        flooding.withLock { $0 = false }
        while SamplerResult.shared.withLock({ $0 == nil }) { usleep(10_000) }
        let (peak, lag) = SamplerResult.shared.withLock { $0 } ?? (0, 0)
        await recorder.finish(ending: .quit)

        let records = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        let progressRecords = records.filter { $0.contains(#""type":"tool_progress""#) }
        let progress = progressRecords.count
        // Joined records say how many lines they stand for: together they must be every line.
        let accounted = progressRecords.reduce(0) { sum, record in
            sum + (record.firstMatch(of: /"lines":([0-9]+)/).flatMap { Int($0.output.1) } ?? 1)
        }
        // The growth, not the process's peak: in a whole run the process already holds what the
        // benchmarks before this one left resident (684 MB once, after the 100,000-agent ones).
        let megabytes = Double(max(0, peak - before)) / 1_048_576
        report.add("log", "session log under \(lines) progress lines (\(String(format: "%.1f", elapsed.seconds)) s): resident memory growth, peak less start", megabytes, unit: "MB", target: "< 200 MB", met: megabytes < 200, detail: String(format: "%.1f MB at the start, %.1f MB at the peak", Double(before) / 1_048_576, Double(peak) / 1_048_576))
        report.add("log", "session log under the flood: most the log fell behind", lag * 1000, unit: "ms", target: "< 1,000 ms", met: lag < 1)
        report.add("log", "tool_progress records for \(lines) lines", Double(progress), unit: "records")
        report.add("log", "progress lines the log accounts for (its records' `lines` added up)", Double(accounted), unit: "lines", target: "= \(lines)", met: accounted == lines)
    }

    /// `emit {tag, count}` whose lines carry the time they were made: `y@1733360000.123:42`.
    private static let stampedEmitTool = EmitTool { tag, index in "\(tag)@\(Date().timeIntervalSince1970):\(index)" }

    /// The creation time in the newest complete `tool_progress` line of `bytes`.
    private static func newestStamp(in bytes: ArraySlice<UInt8>) -> Double? {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let range = text.range(of: #""line":"y@"#, options: .backwards) else { return nil }
        let digits = text[range.upperBound...].prefix { $0.isNumber || $0 == "." }
        return Double(digits)
    }
}

/// The sampler thread's findings: peak resident bytes and the worst lag in seconds.
private enum SamplerResult {
    static let shared = Locked<(Int, Double)?>(nil)
}

/// glibc's `malloc_trim` (in `<malloc.h>`, which the Glibc module does not export): gives the
/// operating system back the free memory at the top of the heap and in the arenas.
@_silgen_name("malloc_trim")
private func malloc_trim(_ pad: Int) -> Int32
