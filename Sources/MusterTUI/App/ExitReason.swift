/// Why the interactive or plain front end ended, and the exit code that goes with it.
public enum ExitReason: Sendable, Equatable {
    /// `/quit`, Ctrl-D on an empty line, or the end of input.
    case quit
    /// Ctrl-C twice at an idle prompt, or SIGINT.
    case interrupt
    /// SIGTERM.
    case terminate
    /// SIGHUP: the terminal went away.
    case hangup

    /// 0, 130, 143 or 129, as shells report signals.
    public var exitCode: Int32 {
        switch self {
        case .quit: 0
        case .interrupt: 130
        case .terminate: 143
        case .hangup: 129
        }
    }
}
