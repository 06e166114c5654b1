import MusterCore
import MusterHeadless

/// What a headless run wrote, by stream.
final class CapturedOutput: HeadlessOutput {
    private let text = Locked<(out: String, err: String)>(("", ""))
    let standardOutputIsTerminal: Bool

    init(standardOutputIsTerminal: Bool = false) {
        self.standardOutputIsTerminal = standardOutputIsTerminal
    }

    func write(_ text: String) throws(SessionSinkError) {
        self.text.withLock { $0.out += text }
    }

    func report(_ line: String) {
        text.withLock { $0.err += line + "\n" }
    }

    var standardOutput: String { text.withLock { $0.out } }
    var standardError: String { text.withLock { $0.err } }
}
