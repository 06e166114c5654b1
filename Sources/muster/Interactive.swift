import Foundation
import MusterCore
import MusterTUI

/// Runs an interactive session: the full-screen UI on a terminal, the plain line mode when
/// stdin or stdout is not a terminal, `TERM` is dumb, or `--plain` was given.
func runInteractive(setup: SessionSetup, command: Muster) async -> Int32 {
    let options = FrontEndOptions(forcePlain: command.plain, environment: ProcessInfo.processInfo.environment)
    if FrontEnd.shouldUsePlainMode(options) {
        return await FrontEnd.runPlain(session: setup.session, options: options, startupMessages: setup.warnings)
    }
    return await FrontEnd.runInteractive(session: setup.session, options: options, startupMessages: setup.warnings)
}
