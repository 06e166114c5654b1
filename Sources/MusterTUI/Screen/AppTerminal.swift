/// What the full-screen app runs on: a screen it presents frames to, plus the input, resize and
/// exit of a terminal. `CursesScreen` is the real one; `PipeTerminal` drives the same app loop
/// in-process (the latency benchmarks).
@MainActor
public protocol AppTerminal: Screen {
    /// The descriptor the app watches (a read source on the main queue) for input.
    var inputDescriptor: Int32 { get }
    /// Whether the app owns the process: its signals (SIGINT, SIGWINCH, SIGTERM, SIGHUP), and at
    /// exit every tool process (killed when late) and the exit deadline (`_exit`). False for an
    /// app driven inside another program (a benchmark, a test), whose other work it must not kill.
    var ownsProcess: Bool { get }
    /// Everything typed since the last read, without waiting.
    func readInput() -> [KeyDecoder.Input]
    /// Reads the size again (after SIGWINCH); the next frame repaints everything.
    func resize()
    /// Forgets what is shown so that the next frame repaints every cell (Ctrl-L).
    func invalidate()
    /// Gives the terminal back.
    func end()
    /// Shows the summary line after `end()`.
    func farewell(_ text: String)
}
