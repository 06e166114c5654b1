import Foundation

/// Where a session's log goes: a new file in the sessions directory, a given file, or nowhere.
public enum SessionLogLocation: Sendable, Equatable {
    /// `$XDG_STATE_HOME/muster/sessions/<time>-<id>.jsonl` (`~/.local/state` when unset).
    case sessionsDirectory
    /// A file given with `--log-file`; records are appended after what it holds.
    case file(URL)
    /// No log (tests, or when a person opts out).
    case disabled

    /// The sessions directory for an environment: `$XDG_STATE_HOME/muster/sessions`, else
    /// `$HOME/.local/state/muster/sessions`. XDG says a relative `XDG_STATE_HOME` is invalid.
    public static func sessionsDirectory(environment: [String: String]) -> URL {
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") {
            return URL(fileURLWithPath: state, isDirectory: true).appendingPathComponent("muster/sessions", isDirectory: true)
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent(".local/state/muster/sessions", isDirectory: true)
    }

    /// The file name of a new session's log: UTC start time to the millisecond, then the id,
    /// so names sort in start order.
    public static func fileName(startedAt date: Date, sessionID: String) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .nanosecond], from: date)
        let millis = (parts.nanosecond ?? 0) / 1_000_000
        let stamp = String(
            format: "%04d%02d%02dT%02d%02d%02d.%03dZ",
            parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0, millis
        )
        return "\(stamp)-\(sessionID).jsonl"
    }

    /// A fresh random session id: 8 lowercase hex digits.
    public static func makeSessionID() -> String {
        String(format: "%08x", UInt32.random(in: 0...UInt32.max))
    }
}
