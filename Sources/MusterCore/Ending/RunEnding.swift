#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How a run ended: the one source of the process's exit code, the session log's `ending` and
/// the words shown about it. Front ends return one; the executable turns it into the exit code.
///
/// The raw value is the session log's word (Docs/session-log.md), so logs written before still
/// decode. `usage` never reaches a log: a usage error stops before any session starts.
public enum RunEnding: String, Sendable, Equatable, Hashable, Codable, CaseIterable {
    /// A headless run finished with an answer.
    case completed
    /// A headless run's agent failed (model error, step limit, the session closed under it).
    case agentFailed = "failed"
    /// The person quit (`/quit`, Ctrl-D, end of input).
    case quit
    /// SIGINT (Ctrl-C).
    case interrupted
    /// SIGTERM.
    case terminated
    /// SIGHUP (the terminal went away).
    case hangup
    /// Muster stopped on an error of its own.
    case error
    /// Bad flags or a bad script: nothing ran.
    case usage

    /// The documented exit status: 0 success; 1 the agent failed (or an error); 2 usage;
    /// 128 + the signal number after a signal, as shells report a death by that signal.
    public var exitCode: Int32 {
        switch self {
        case .completed, .quit: 0
        case .agentFailed, .error: 1
        case .usage: 2
        case .interrupted, .terminated, .hangup: 128 + (signal ?? 0)
        }
    }

    /// The session log's word for it (`session_end`'s `ending`).
    public var logWord: String { rawValue }

    /// The ending a log word names; nil for a word no Muster wrote.
    public init?(logWord: String) {
        self.init(rawValue: logWord)
    }

    /// The ending a stop signal asks for: SIGINT, SIGTERM or SIGHUP; nil for any other.
    public init?(signal number: Int32) {
        switch number {
        case SIGINT: self = .interrupted
        case SIGTERM: self = .terminated
        case SIGHUP: self = .hangup
        default: return nil
        }
    }

    /// The signal that ends a run this way, if a signal does.
    public var signal: Int32? {
        switch self {
        case .interrupted: SIGINT
        case .terminated: SIGTERM
        case .hangup: SIGHUP
        case .completed, .agentFailed, .quit, .error, .usage: nil
        }
    }

    /// The signal's name, for messages ("Stopped by SIGTERM.").
    public var signalName: String? {
        switch self {
        case .interrupted: "SIGINT"
        case .terminated: "SIGTERM"
        case .hangup: "SIGHUP"
        case .completed, .agentFailed, .quit, .error, .usage: nil
        }
    }
}

/// The session log's name for how a session ended: the same type.
public typealias SessionEnding = RunEnding
