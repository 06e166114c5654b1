import Foundation
import MusterCore

/// Output printed while libedit shows the prompt: queued and handed to the reading thread,
/// which blanks the prompt line, prints it above and redraws the prompt with the partly typed
/// line; written straight through once the reader has finished.
final class PromptOutput: Sendable {
    private struct State {
        var pending = ""
        var direct = false
        var reading = false
        var taskIDs: [Int] = []
    }

    private let state = Locked(State())
    /// The reading end, which the reader's poll watches; the writing end is poked per write.
    let wakeReader: Int32
    private let wakeWriter: Int32

    init() {
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for fd in fds {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
        }
        (wakeReader, wakeWriter) = (fds[0], fds[1])
    }

    deinit {
        close(wakeReader)
        close(wakeWriter)
    }

    /// Prints `text`: through the reader while it shows the prompt, else at once.
    func write(_ text: String) {
        let queued = state.withLock { state -> Bool in
            if state.direct || wakeWriter < 0 {
                Self.writeOut(text)
                return false
            }
            state.pending += text
            return true
        }
        if queued {
            var byte: UInt8 = 1
            _ = Foundation.write(wakeWriter, &byte, 1)
        }
    }

    /// On the reading thread, inside libedit's read: prints what is queued, as whole lines so
    /// that libedit redraws its prompt on a line of its own.
    func flushPending() {
        state.withLock { state in
            guard !state.pending.isEmpty else { return }
            Self.writeOut(state.pending.hasSuffix("\n") ? state.pending : state.pending + "\n")
            state.pending = ""
        }
    }

    /// The running tasks' ids, for Tab after `/tasks stop ` and the like.
    var taskIDs: [Int] {
        get { state.withLock { $0.taskIDs } }
        set { state.withLock { $0.taskIDs = newValue } }
    }

    /// The reading thread is inside `el_gets` (the prompt shows) or not.
    func setReading(_ reading: Bool) {
        state.withLock { $0.reading = reading }
    }

    /// From now on output goes straight out (the reader ended, or Muster is leaving); what is
    /// queued is printed, after the prompt line is cleared if it shows.
    func finish() {
        state.withLock { state in
            guard !state.direct else { return }
            state.direct = true
            if state.reading { Self.writeOut("\r\u{1B}[K") }
            Self.writeOut(state.pending)
            state.pending = ""
        }
    }

    private static func writeOut(_ text: String) {
        guard !text.isEmpty else { return }
        // A closed terminal fails the write: nobody is left to tell.
        try? FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
    }
}
