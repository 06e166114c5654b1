import Foundation
import Logging
import MusterCore

/// Sends every log message to a file (never to the terminal): `$XDG_STATE_HOME/muster/muster.log`,
/// or `MUSTER_LOG_FILE`; level from `MUSTER_LOG_LEVEL` (default info).
enum FileLogging {
    static func bootstrap(environment: [String: String]) {
        let path = environment["MUSTER_LOG_FILE"].map { URL(fileURLWithPath: $0) }
            ?? StateDirectory.url(environment: environment).appendingPathComponent("muster.log")
        let level = environment["MUSTER_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let sink = LogFileSink(url: path)
        LoggingSystem.bootstrap { label in
            var handler = FileLogHandler(label: label, sink: sink)
            handler.logLevel = level
            return handler
        }
    }
}

/// Where Muster keeps state: `$XDG_STATE_HOME/muster`, default `~/.local/state/muster`.
enum StateDirectory {
    static func url(environment: [String: String]) -> URL {
        if let base = environment["XDG_STATE_HOME"], base.hasPrefix("/") {
            return URL(fileURLWithPath: base).appendingPathComponent("muster")
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return URL(fileURLWithPath: home).appendingPathComponent(".local/state/muster")
    }
}

/// An append-only log file shared by every handler; a failure to open it disables logging quietly.
final class LogFileSink: Sendable {
    private let descriptor: Locked<Int32>

    init(url: URL) {
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        descriptor = Locked(open(url.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644))
    }

    func write(_ line: String) {
        descriptor.withLock { fd in
            guard fd >= 0 else { return }
            var bytes = Array(line.utf8)
            bytes.append(UInt8(ascii: "\n"))
            _ = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        }
    }
}

/// A swift-log handler writing one line per message to a `LogFileSink`.
struct FileLogHandler: LogHandler {
    let label: String
    let sink: LogFileSink
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let stamp = ISO8601DateFormatter().string(from: Date())
        sink.write("\(stamp) \(event.level) \(label): \(event.message)\(fields.isEmpty ? "" : " " + fields)")
    }
}
