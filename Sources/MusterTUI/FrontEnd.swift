import Foundation
import MusterCore
import MusterPresentation

/// The entry points the CLI calls: pick a mode, then run the session until the person leaves.
public enum FrontEnd {
    /// True when the full-screen UI cannot or should not run: stdin or stdout is not a
    /// terminal, `TERM` is `dumb` or unset, or `--plain` was given.
    public static func shouldUsePlainMode(_ options: FrontEndOptions) -> Bool {
        if options.forcePlain { return true }
        if isatty(STDIN_FILENO) == 0 || isatty(STDOUT_FILENO) == 0 { return true }
        let term = options.environment["TERM"] ?? ""
        return term.isEmpty || term == "dumb"
    }

    /// Runs the full-screen curses UI; returns how it ended (quit, interrupted, terminated, hangup).
    ///
    /// Falls back to plain mode when the terminal cannot be used by curses.
    @MainActor
    public static func runInteractive(session: Session, options: FrontEndOptions, startupMessages: [String]) async -> RunEnding {
        await InteractiveApp.run(session: session, options: options, startupMessages: startupMessages)
    }

    /// Runs the full-screen UI on `terminal` instead of curses: the same app loop, in-process
    /// (the benchmarks drive it through a `PipeTerminal`).
    @MainActor
    public static func runInteractive(session: Session, terminal: any AppTerminal, options: FrontEndOptions) async -> RunEnding {
        await InteractiveApp.run(session: session, terminal: terminal, options: options)
    }

    /// Runs the line mode (libedit `el_gets`); returns how it ended.
    public static func runPlain(session: Session, options: FrontEndOptions, startupMessages: [String]) async -> RunEnding {
        await PlainApp.run(session: session, options: options, startupMessages: startupMessages)
    }

    /// The key help `/help` adds in the full-screen UI.
    static let interactiveKeyHelp = [
        "Keys: Enter sends · Esc or Ctrl-C interrupts the turn · PgUp/PgDn scroll · Tab completes · ↑/↓ history",
        "      Ctrl-A/E/B/F/K/U/W and Alt-B/F edit · Ctrl-L repaints · Ctrl-D on an empty line or /quit exits",
        "      Ctrl-T, /tasks, or ↓ then Enter on an empty line: the task dialog · /panel on|off: the agents panel",
    ]

    /// The key help `/help` adds in plain mode.
    static let plainKeyHelp = [
        "Plain mode: one line per request · Tab completes · Ctrl-C interrupts the turn · end of input (Ctrl-D) exits after the turn",
    ]

    /// The greeting at the top of a session.
    /// `introduction` is the model's own line (the scripted demo says what to type).
    static func welcome(workspace: URL, introduction: String? = nil) -> [TranscriptLine] {
        var lines = [
            TranscriptLine("Muster · \(workspace.path)", style: .heading),
            TranscriptLine("Ask the main agent anything; background agents show in the pill below. /help lists commands.", style: .dim),
        ]
        if let introduction { lines.append(TranscriptLine(introduction, style: .dim)) }
        lines.append(.blank)
        return lines
    }
}
