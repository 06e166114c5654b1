import Foundation
import MusterCore

/// Runs the main agent on `prompt` without a terminal and returns the exit code.
func runHeadless(setup: SessionSetup, command: Muster, prompt: String) async -> Int32 {
    let session = setup.session
    for warning in setup.warnings {
        FileHandle.standardError.write(Data("muster: warning: \(warning)\n".utf8))
    }
    await session.start()
    let subscription = session.events.subscribe()
    await session.submit(prompt)
    var finalText = ""
    var failed = false
    for await event in subscription {
        if case .turnEnded(_, let outcome) = event {
            switch outcome {
            case .completed(let text): finalText = text
            case .failed(let error): failed = true; finalText = error
            case .cancelled: failed = true
            }
            break
        }
    }
    let report = await session.shutdown()
    print(finalText)
    if !report.cancelled.isEmpty {
        FileHandle.standardError.write(Data("muster: \(report.cancelled.count) tasks were cancelled at exit.\n".utf8))
    }
    return failed ? ExitStatus.agentFailed : ExitStatus.success
}
