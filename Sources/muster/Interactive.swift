import Foundation
import MusterCore
import MusterPresentation
import MusterTUI

/// Runs an interactive session: the full-screen UI on a terminal, the plain line mode when
/// stdin or stdout is not a terminal, `TERM` is dumb, or `--plain` was given. The session log
/// records it like a headless run, slash commands and the way it ended included.
func runInteractive(setup: SessionSetup, command: Muster, resumed: SessionResume.Loaded?) async -> RunEnding {
    let environment = ProcessInfo.processInfo.environment
    let recorder = SessionRecorder.start(
        session: setup.session,
        log: SessionLogLocation(logFile: command.logFile),
        metadata: SessionMetadata(mode: .interactive, command: command, setup: setup, environment: environment),
        environment: environment,
        resuming: resumed?.logFile
    )
    ToolProcessRegistry.shared.observe { recorder.record(.toolProcess(ToolProcessRecord(sessionID: recorder.sessionID, $0))) }
    var options = FrontEndOptions(
        forcePlain: command.plain,
        environment: environment,
        sessionNote: ExitSummary.sessionNote(sessionID: recorder.sessionID, logFile: recorder.logFile),
        showsAgentPanel: !command.noAgentPanel
    )
    // Logged like a headless run's: an invalid option value is part of the session's story.
    for warning in setup.warnings { recorder.record(.warning(warning)) }
    var resumeNotices: [String] = []
    if let resumed {
        // After the recorder started (what is restored goes into the new log), before the front
        // end starts the session.
        resumeNotices = await command.restore(resumed, into: setup.session)
        options.restoredTranscript = ResumeText.transcript(of: resumed.restore.mainConversation)
    }
    let messages = recorder.startupNotices + resumeNotices + setup.warnings
    let ending: RunEnding
    if FrontEnd.shouldUsePlainMode(options) {
        ending = await FrontEnd.runPlain(session: setup.session, options: options, startupMessages: messages)
    } else {
        ending = await FrontEnd.runInteractive(session: setup.session, options: options, startupMessages: messages)
    }
    await recorder.finish(ending: ending)
    return ending
}
