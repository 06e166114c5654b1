/// A request to stop a headless run, from a signal the CLI caught.
public enum HeadlessStop: Sendable, Equatable {
    /// SIGINT (Ctrl-C).
    case interrupt
    /// SIGTERM.
    case terminate
    /// SIGHUP.
    case hangup

    /// 128 + the signal number, as shells report a death by that signal.
    public var exitCode: Int32 {
        switch self {
        case .interrupt: HeadlessExitCode.interrupted
        case .terminate: HeadlessExitCode.terminated
        case .hangup: HeadlessExitCode.hangup
        }
    }

    /// How the session log says the session ended.
    public var ending: SessionEnding {
        switch self {
        case .interrupt: .interrupted
        case .terminate: .terminated
        case .hangup: .hangup
        }
    }

    /// The signal's name, for messages.
    public var signalName: String {
        switch self {
        case .interrupt: "SIGINT"
        case .terminate: "SIGTERM"
        case .hangup: "SIGHUP"
        }
    }
}

/// The exit statuses of `muster -p`.
public enum HeadlessExitCode {
    /// The main agent answered.
    public static let success: Int32 = 0
    /// The main agent failed (model error, step limit).
    public static let agentFailed: Int32 = 1
    /// Bad flags or a bad script; nothing ran.
    public static let usage: Int32 = 2
    /// SIGHUP, after cancelling everything and writing the log.
    public static let hangup: Int32 = 129
    /// SIGINT, after cancelling everything and writing the log.
    public static let interrupted: Int32 = 130
    /// SIGTERM, after cancelling everything and writing the log.
    public static let terminated: Int32 = 143
}
