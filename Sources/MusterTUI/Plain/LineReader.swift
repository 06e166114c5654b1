import CLibedit
import Foundation

/// Reads lines with libedit's `el_gets` on a thread of its own, so a person sitting at the
/// prompt never blocks the agents; the lines arrive as an async stream that ends at EOF.
///
/// The thread ends by itself at end of input. If the app exits first, the thread stays
/// blocked in `read` until the process exits: `el_gets` cannot be interrupted safely.
final class LineReader: Sendable {
    /// The lines, without their newline; finishes at end of input.
    let lines: AsyncStream<InputLine>

    /// With a prompt: where output goes while the prompt shows (printed above it, the prompt
    /// and the partly typed line redrawn below). Nil without a prompt: write straight out.
    let output: PromptOutput?

    /// Starts reading; `prompt` shows `> ` before each line (and routes output through
    /// `output`, with Tab completing commands); `historyFile` enables history.
    init(prompt: Bool, historyFile: URL?) {
        let (lines, continuation) = AsyncStream<InputLine>.makeStream(bufferingPolicy: .unbounded)
        self.lines = lines
        let output = prompt ? PromptOutput() : nil
        self.output = output
        let thread = Thread {
            Self.readLoop(prompt: prompt, historyFile: historyFile, output: output, into: continuation)
        }
        thread.name = "muster.line-reader"
        thread.start()
    }

    private static func readLoop(
        prompt: Bool, historyFile: URL?, output: PromptOutput?, into continuation: AsyncStream<InputLine>.Continuation
    ) {
        defer {
            output?.finish()
            continuation.finish()
        }
        // Piped input needs no line editor, and libedit would hold a whole line however long it is.
        guard isatty(STDIN_FILENO) != 0 else {
            readBounded(into: continuation)
            return
        }
        // Freed after el_end (defers run last first): libedit holds it as its client data.
        let reader = UnsafeMutablePointer<muster_reader>.allocate(capacity: 1)
        defer { reader.deallocate() }
        guard let editLine = el_init("muster", muster_edit_stdin(), muster_edit_stdout(), muster_edit_stderr()) else {
            readBounded(into: continuation)
            return
        }
        defer { el_end(editLine) }
        muster_el_set_editor(editLine, "emacs")
        muster_el_use_prompt(editLine, prompt ? 1 : 0)
        // History lives on this thread only: libedit is not thread-safe.
        let history = historyFile.flatMap { CommandHistory(file: $0) }
        if let history { muster_el_set_history(editLine, history.handle) }
        if let output {
            reader.initialize(to: muster_reader(
                wake_fd: output.wakeReader, flush: flushOutput, complete: completeCommand,
                context: Unmanaged.passUnretained(output).toOpaque()
            ))
            muster_el_use_reader(editLine, reader)
        }

        var count: Int32 = 0
        while true {
            output?.setReading(true)
            let raw = el_gets(editLine, &count)
            output?.setReading(false)
            guard let raw, count > 0 else { break }
            var line = String(cString: raw)
            // el_gets keeps the newline (a last line without one comes back without it).
            if line.hasSuffix("\n") { line.removeLast() }
            if line.hasSuffix("\r") { line.removeLast() }
            let bytes = line.utf8.count
            guard bytes <= BoundedLineSplitter.maximumBytes else {
                continuation.yield(.tooLong(bytes: bytes))
                continue
            }
            history?.add(line)
            continuation.yield(.text(line))
        }
    }

    /// Reads standard input in blocks and splits it into lines of at most 1 MiB each.
    private static func readBounded(into continuation: AsyncStream<InputLine>.Continuation) {
        var splitter = BoundedLineSplitter()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            for line in splitter.feed(buffer[0..<count]) { continuation.yield(line) }
        }
        if let last = splitter.finish() { continuation.yield(last) }
    }
}

/// libedit's read function calls this to print the queued output (`context` is the `PromptOutput`).
private let flushOutput: muster_flush_fn = { context in
    guard let context else { return }
    Unmanaged<PromptOutput>.fromOpaque(context).takeUnretainedValue().flushPending()
}

/// Tab in plain mode: the curses UI's completion of command names and subcommands.
private let completeCommand: muster_complete_fn = { context, line, out, size in
    guard let context, let line, let out, size > 0 else { return 0 }
    let taskIDs = Unmanaged<PromptOutput>.fromOpaque(context).takeUnretainedValue().taskIDs
    let text: String
    let kind: Int32
    switch CommandCompleter(taskIDs: taskIDs).complete(String(cString: line)) {
    case .replace(let replacement): (text, kind) = (replacement, 1)
    case .candidates(let candidates): (text, kind) = (candidates.joined(separator: "  "), 2)
    case .none: return 0
    }
    let bytes = Array(text.utf8.prefix(size - 1))
    for (index, byte) in bytes.enumerated() { out[index] = CChar(bitPattern: byte) }
    out[bytes.count] = 0
    return kind
}
