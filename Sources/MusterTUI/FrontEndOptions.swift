import Foundation
import MusterPresentation

/// How the CLI wants the front end to run.
public struct FrontEndOptions: Sendable {
    /// `--plain`: line mode even on a terminal.
    public var forcePlain: Bool
    /// Where the input history lives; nil uses `$XDG_STATE_HOME/muster/history`.
    public var historyFile: URL?
    /// The environment (TERM, NO_COLOR, XDG_STATE_HOME, HOME).
    public var environment: [String: String]
    /// Says which session this was and where its log is, after the exit summary
    /// (`Session 3f2a… · log: ~/.local/state/muster/sessions/….jsonl`).
    public var sessionNote: String?
    /// `--no-agent-panel`: the curses UI starts with the agents panel off.
    public var showsAgentPanel: Bool
    /// A resumed session's conversation, shown first (`--continue`, `--resume`).
    public var restoredTranscript: [TranscriptLine] = []

    /// Options; by default the process environment and the XDG history file.
    public init(
        forcePlain: Bool = false, historyFile: URL? = nil, environment: [String: String] = ProcessInfo.processInfo.environment,
        sessionNote: String? = nil, showsAgentPanel: Bool = true
    ) {
        self.showsAgentPanel = showsAgentPanel
        self.forcePlain = forcePlain
        self.historyFile = historyFile
        self.environment = environment
        self.sessionNote = sessionNote
    }

    /// The history file in force.
    var resolvedHistoryFile: URL? {
        historyFile ?? HistoryLocation.file(environment: environment)
    }
}
