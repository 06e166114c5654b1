import Foundation
import MusterCore

/// Everything plain mode prints, in one place and one order: transcript lines from session
/// events and commands, and the pill as a line whenever it changes.
actor PlainConsole {
    private var formatter = TranscriptFormatter()
    private var pill: PillState
    private var lastPill: String
    private let echoInput: Bool

    /// `echoInput` repeats the person's lines (useful when input is piped, noise on a terminal).
    init(pill: PillState, echoInput: Bool) {
        self.pill = pill
        self.lastPill = pill.plainText
        self.echoInput = echoInput
    }

    /// Prints what `event` adds, and the pill if it changed.
    func handle(_ event: SessionEvent) {
        if case .userMessage = event, !echoInput {
            _ = formatter.lines(for: event)
            return
        }
        var lines = formatter.lines(for: event)
        if case .task(let taskEvent) = event {
            pill.apply(taskEvent)
            if pill.plainText != lastPill {
                lastPill = pill.plainText
                lines.append(TranscriptLine(pill.plainText, style: .dim))
            }
        }
        print(lines)
    }

    /// Repeats a command line the person typed, when input is echoed.
    func echo(_ line: String) {
        if echoInput { print([TranscriptLine("› " + line, style: .user)]) }
    }

    /// Prints transcript lines.
    func print(_ lines: [TranscriptLine]) {
        guard !lines.isEmpty else { return }
        write(lines.map { $0.text + "\n" }.joined())
    }

    /// Prints the rest of a streamed line, if any.
    func flush() {
        print(formatter.flush())
    }

    /// Prints raw text (a question without a newline).
    func write(_ text: String) {
        // Errors (a closed pipe) are ignored: there is nobody left to tell.
        try? FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
    }
}
