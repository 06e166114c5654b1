import Foundation
@testable import MusterCore
import MusterTmux

/// A temporary directory tree for one test, removed when the fixture goes away.
final class WorkspaceFixture {
    let root: URL

    init() throws {
        root = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("muster-tools-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: root)
    }

    /// The root with symbolic links resolved, as tools print it.
    var realRoot: String { URL(fileURLWithPath: root.path).resolvingSymlinksInPath().path }

    /// Writes a text file (creating its folders).
    @discardableResult
    func write(_ relative: String, _ text: String) throws -> URL {
        try write(relative, bytes: Array(text.utf8))
    }

    /// Writes a file of raw bytes (creating its folders).
    @discardableResult
    func write(_ relative: String, bytes: [UInt8]) throws -> URL {
        let url = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        return url
    }

    /// Creates a folder (and its parents).
    func makeDirectory(_ relative: String) throws {
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent(relative), withIntermediateDirectories: true
        )
    }

    /// Creates a symbolic link at `relative` pointing to `destination` (stored as given).
    func link(_ relative: String, to destination: String) throws {
        try FileManager.default.createSymbolicLink(
            atPath: root.appendingPathComponent(relative).path, withDestinationPath: destination
        )
    }
}

/// One tool call's context and its own progress stream.
struct ToolCallHarness {
    let context: ToolContext
    let progress: AsyncStream<String>
    let finish: @Sendable () -> Void

    init(workspace: URL, callID: String = "call_test") {
        let (stream, progress, finish) = ToolProgress.makeStream()
        self.context = ToolContext(
            callID: callID, agent: .main, workspace: workspace, progress: progress, runtime: nil
        )
        self.progress = stream
        self.finish = finish
    }

    /// Finishes the stream and returns every line reported on it.
    func reportedLines() async -> [String] {
        finish()
        var lines: [String] = []
        for await line in progress { lines.append(line) }
        return lines
    }
}

extension Tool {
    /// Runs the tool and returns its output; a thrown `ToolError` becomes its message, marked as an error.
    func call(_ arguments: JSONValue, in harness: ToolCallHarness) async throws -> ToolOutput {
        do {
            return try await run(arguments, context: harness.context)
        } catch let error as ToolError {
            return .error(error.message)
        }
    }
}

/// Looks at processes through /proc, independently of the code under test.
enum ProcessWatch {
    /// True when `pid` exists and is not a zombie.
    static func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state != "Z" && state != "X"
    }

    /// The process group of `pid`, from /proc.
    static func groupID(of pid: pid_t) -> pid_t? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 2 ? pid_t(fields[2]) : nil
    }

    /// Living (non-zombie) processes whose process group is `group`.
    static func livingMembers(ofGroup group: pid_t) -> [pid_t] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap(pid_t.init).filter { groupID(of: $0) == group && isAlive($0) }
    }

    /// Living `sleep` processes whose command line contains `marker` (not the shells that started them).
    static func sleeps(containing marker: String) -> [pid_t] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap(pid_t.init).filter { pid in
            guard isAlive(pid), let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8), comm == "sleep\n",
                  let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self).contains(marker)
        }
    }

    /// Waits until `condition` holds or the deadline passes; true when it held. Only for
    /// conditions outside the program's control (processes dying in the kernel): see `OutsideState`.
    static func waitUntil(
        deadline: ContinuousClock.Instant, condition: () -> Bool
    ) async -> Bool {
        (try? await OutsideState.poll(timeout: ContinuousClock.now.duration(to: deadline), until: condition)) ?? false
    }
}
