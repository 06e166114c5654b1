import Foundation

/// Saves the terminal's mode and puts it back, for plain mode on a terminal: libedit
/// changes it while reading and may be stopped mid-read when Muster exits.
struct TerminalModeGuard {
    private let saved: termios?

    /// Saves the mode of stdin when it is a terminal.
    init() {
        var mode = termios()
        saved = isatty(STDIN_FILENO) != 0 && tcgetattr(STDIN_FILENO, &mode) == 0 ? mode : nil
    }

    /// Puts the saved mode back.
    func restore() {
        guard var mode = saved else { return }
        tcsetattr(STDIN_FILENO, TCSANOW, &mode)
    }
}
