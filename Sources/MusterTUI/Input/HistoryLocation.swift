import Foundation

/// Where the input history lives: `$XDG_STATE_HOME/muster/history`, by default
/// `~/.local/state/muster/history`.
public enum HistoryLocation {
    /// The history file for `environment` (nil when no home directory can be found).
    public static func file(environment: [String: String]) -> URL? {
        // The XDG spec says a relative value is invalid and must be ignored.
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") {
            return URL(fileURLWithPath: state).appendingPathComponent("muster/history")
        }
        let home = environment["HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? NSHomeDirectory()
        guard !home.isEmpty else { return nil }
        return URL(fileURLWithPath: home).appendingPathComponent(".local/state/muster/history")
    }
}
