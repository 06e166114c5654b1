import CNcursesw
import Foundation
import MusterCore
import MusterPresentation

/// The terminal through ncursesw: wide characters, colours unless `NO_COLOR`, and a front
/// buffer so that only the cells that changed since the last frame are written.
@MainActor
public final class CursesScreen: AppTerminal {
    /// Why the terminal could not be taken over.
    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    private var terminal: OpaquePointer?
    private var window: UnsafeMutablePointer<WINDOW>?
    private let usesColor: Bool
    /// What the terminal shows now; nil forces a full repaint (first frame, after a resize).
    private var front: Frame?
    private var cursorVisible: Bool?

    public private(set) var size: ScreenSize
    /// Bracketed paste was turned on (and the Ctrl-Z wrapper installed) and must be undone.
    private var pasteModeOn = false

    /// Keys come from standard input.
    public var inputDescriptor: Int32 { STDIN_FILENO }
    /// The real terminal: the app owns the process (signals, tool processes at exit, the exit deadline).
    public var ownsProcess: Bool { true }

    /// Takes over the terminal: cbreak (so Ctrl-C still raises SIGINT), no echo, keypad, non-blocking reads.
    public init(colors: Bool) throws(StartError) {
        setlocale(LC_ALL, "")
        // The mode before curses, for the crash handler to put back.
        var original = termios()
        let hasOriginal = tcgetattr(STDIN_FILENO, &original) == 0
        // newterm, unlike initscr, returns nil for an unusable TERM instead of exiting the process.
        guard let terminal = newterm(nil, muster_curses_stdout(), muster_curses_stdin()) else {
            throw StartError(description: "Cannot use the terminal (TERM=\(ProcessInfo.processInfo.environment["TERM"] ?? "unset")).")
        }
        set_term(terminal)
        self.terminal = terminal
        let window = muster_stdscr()
        self.window = window
        cbreak()
        noecho()
        nonl()
        keypad(window, true)
        // Pastes arrive marked, so a pasted newline does not submit (see KeyDecoder.PasteAssembler).
        if muster_define_paste_keys(Self.pasteStartCode, Self.pasteEndCode) != ERR {
            muster_bracketed_paste(1)
            muster_install_tstp_wrapper()
            pasteModeOn = true
        }
        // The wheel scrolls the transcript; unreported, some terminals turn it into arrow keys,
        // which would browse the input history instead.
        _ = muster_enable_wheel()
        nodelay(window, true)
        intrflush(window, false)
        // Short, so a lone Esc (interrupt) is felt at once; Alt sequences arrive together anyway.
        set_escdelay(25)
        var colors = colors && has_colors()
        if colors {
            start_color()
            use_default_colors()
            for color in CellStyle.Color.allCases {
                if init_pair(color.rawValue + 1, color.rawValue, -1) == ERR { colors = false }
            }
        }
        usesColor = colors
        size = ScreenSize(rows: Int(muster_lines()), columns: Int(muster_cols()))
        if hasOriginal { muster_install_crash_restore(&original) } else { muster_install_crash_restore(nil) }
        resize()
    }

    /// Reads the size from the kernel and tells curses; the next frame repaints everything.
    ///
    /// libdispatch owns SIGWINCH, so curses never sees it and never resizes by itself.
    public func resize() {
        var rows: Int32 = 0
        var columns: Int32 = 0
        if muster_terminal_size(&rows, &columns) == 0, rows > 0, columns > 0 {
            resizeterm(rows, columns)
        }
        size = ScreenSize(rows: Int(muster_lines()), columns: Int(muster_cols()))
        front = nil
        if let window {
            werase(window)
            clearok(window, true)
        }
    }

    /// Forgets what is on screen so the next frame repaints every cell (Ctrl-L).
    public func invalidate() {
        front = nil
        if let window { clearok(window, true) }
    }

    /// Writes the cells that differ from the front buffer, then moves the cursor and refreshes.
    public func present(_ frame: Frame) {
        guard let window, frame.size == size else { return }
        var scratch = [wchar_t](repeating: 0, count: 6)
        for change in FrameDiff.changes(from: front, to: frame) {
            var count = 0
            // A cell must start with a spacing character: put a zero-width one on a space.
            if let first = change.cell.text.unicodeScalars.first, DisplayWidth.of(scalar: first) == 0 {
                scratch[0] = 0x20
                count = 1
            }
            for scalar in change.cell.text.unicodeScalars where count < 5 {
                scratch[count] = wchar_t(bitPattern: scalar.value)
                count += 1
            }
            if count == 0 {
                scratch[0] = 0x20
                count = 1
            }
            scratch[count] = 0
            let (attributes, pair) = curses(change.cell.style)
            // The bottom-right cell reports ERR (the cursor cannot advance) but is drawn.
            _ = muster_put_cell(window, Int32(change.row), Int32(change.column), scratch, attributes, pair)
        }
        front = frame
        if let cursor = frame.cursor {
            wmove(window, Int32(cursor.row), Int32(cursor.column))
            if cursorVisible != true { curs_set(1); cursorVisible = true }
        } else if cursorVisible != false {
            curs_set(0)
            cursorVisible = false
        }
        wnoutrefresh(window)
        doupdate()
    }

    /// Everything typed since the last read, without waiting.
    public func readInput() -> [KeyDecoder.Input] {
        guard let window else { return [] }
        var inputs: [KeyDecoder.Input] = []
        var character: wint_t = 0
        while true {
            let status = wget_wch(window, &character)
            if status == ERR { break }
            if status == KEY_CODE_YES {
                switch Int32(character) {
                case Self.pasteStartCode: inputs.append(.pasteStart)
                case Self.pasteEndCode: inputs.append(.pasteEnd)
                case KEY_MOUSE:
                    switch muster_wheel_direction() {
                    case -1: inputs.append(.key(.wheelUp))
                    case 1: inputs.append(.key(.wheelDown))
                    default: break
                    }
                default: if let key = Self.key(forCode: Int32(character)) { inputs.append(.key(key)) }
                }
            } else if let scalar = Unicode.Scalar(character) {
                inputs.append(.scalar(scalar))
            }
        }
        return inputs
    }

    /// Prints the summary line on standard output (after `end()`: the terminal is the shell's again).
    /// After a hangup the terminal is gone and the write fails: nobody is left to tell.
    public func farewell(_ text: String) {
        try? FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
    }

    /// Gives the terminal back: leaves curses mode and restores the saved terminal state.
    public func end() {
        guard let terminal else { return }
        if let window { curs_set(1); wnoutrefresh(window) }
        if pasteModeOn {
            muster_remove_tstp_wrapper()
            muster_bracketed_paste(0)
            pasteModeOn = false
        }
        endwin()
        muster_remove_crash_restore()
        delscreen(terminal)
        self.terminal = nil
        self.window = nil
    }

    private func curses(_ style: CellStyle) -> (attr_t, Int16) {
        var attributes = muster_a_normal()
        if style.bold { attributes |= muster_a_bold() }
        if style.dim { attributes |= muster_a_dim() }
        if style.reverse { attributes |= muster_a_reverse() }
        guard usesColor, let color = style.foreground else { return (attributes, 0) }
        return (attributes, color.rawValue + 1)
    }

    /// Key codes of our own for the paste markers, far above what curses hands out.
    private static let pasteStartCode: Int32 = 0x3F00
    private static let pasteEndCode: Int32 = 0x3F01

    private static func key(forCode code: Int32) -> Key? {
        switch code {
        case KEY_UP: .up
        case KEY_DOWN: .down
        case KEY_LEFT: .left
        case KEY_RIGHT: .right
        case KEY_HOME: .home
        case KEY_END: .end
        case KEY_PPAGE: .pageUp
        case KEY_NPAGE: .pageDown
        case KEY_DC: .delete
        case KEY_BACKSPACE: .backspace
        case KEY_ENTER: .enter
        case KEY_BTAB: .backTab
        default: nil
        }
    }
}
