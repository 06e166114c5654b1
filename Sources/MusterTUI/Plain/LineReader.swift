import CLibedit
import Foundation

/// Reads lines with libedit's `el_gets` on a thread of its own, so a person sitting at the
/// prompt never blocks the agents; the lines arrive as an async stream that ends at EOF.
///
/// The thread ends by itself at end of input. If the app exits first, the thread stays
/// blocked in `read` until the process exits: `el_gets` cannot be interrupted safely.
final class LineReader: Sendable {
    /// The lines, without their newline; finishes at end of input.
    let lines: AsyncStream<String>

    /// Starts reading; `prompt` shows `> ` before each line; `historyFile` enables history.
    init(prompt: Bool, historyFile: URL?) {
        let (lines, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .unbounded)
        self.lines = lines
        let thread = Thread {
            Self.readLoop(prompt: prompt, historyFile: historyFile, into: continuation)
        }
        thread.name = "muster.line-reader"
        thread.start()
    }

    private static func readLoop(prompt: Bool, historyFile: URL?, into continuation: AsyncStream<String>.Continuation) {
        defer { continuation.finish() }
        guard let editLine = el_init("muster", muster_edit_stdin(), muster_edit_stdout(), muster_edit_stderr()) else {
            // Without libedit, read plain lines.
            while let line = Swift.readLine(strippingNewline: true) { continuation.yield(line) }
            return
        }
        defer { el_end(editLine) }
        muster_el_set_editor(editLine, "emacs")
        muster_el_use_prompt(editLine, prompt ? 1 : 0)
        // History lives on this thread only: libedit is not thread-safe.
        let history = historyFile.flatMap { CommandHistory(file: $0) }
        if let history { muster_el_set_history(editLine, history.handle) }

        var count: Int32 = 0
        while let raw = el_gets(editLine, &count), count > 0 {
            var line = String(cString: raw)
            // el_gets keeps the newline (a last line without one comes back without it).
            if line.hasSuffix("\n") { line.removeLast() }
            if line.hasSuffix("\r") { line.removeLast() }
            history?.add(line)
            continuation.yield(line)
        }
    }
}
