import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Copies a background command's output from a pipe into its `ShellOutputFile`, on a thread of
/// its own: the blocking reads and file writes never run on the cooperative pool, and a command
/// that floods output is slowed only by the disk, never the agents.
///
/// It ends at end of file (every writer closed: the command and all it started are gone), or,
/// once `finish()` was called, as soon as the pipe is empty (a writer that escaped every stop
/// must not keep the task alive). `finish()` returns when the thread has ended: nothing of the
/// pump outlives the task that owns it.
final class OutputPump: Sendable {
    /// Bytes read from the pipe at a time.
    static let chunk = 64 * 1024
    /// How often the thread looks at whether it was told to finish, while the pipe is quiet.
    static let pollMilliseconds: Int32 = 50

    private struct State {
        var stopRequested = false
        /// After a stop request the pump reads on at most this long (a writer that escaped
        /// every stop could otherwise keep it busy for ever).
        var stopDeadline: ContinuousClock.Instant?
        var ended = false
        var waiter: CheckedContinuation<Void, Never>?
        /// Waits for the end of file that give up at their limit (`waitForEnd(upTo:)`), by token.
        var endWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextToken = 0
    }

    private let readEnd: Int32
    private let file: ShellOutputFile
    /// Where each output line is also reported while someone watches (a foreground `!` command).
    private let mirror: ToolProgress?
    // Guards the stop request, the end and the waiting continuation (thread and task both touch them).
    private let state = Locked(State())

    /// Starts the thread at once; it owns `readEnd` and closes it when it ends.
    init(readEnd: Int32, file: ShellOutputFile, mirror: ToolProgress? = nil) {
        self.readEnd = readEnd
        self.file = file
        self.mirror = mirror
        let thread = Thread { [self] in
            self.pump()
        }
        thread.name = "muster.shell-output"
        thread.start()
    }

    private func pump() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunk, alignment: 16)
        defer { buffer.deallocate() }
        var descriptor = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
        var splitter = LineSplitter(maxLineBytes: ShellTool.maxLineBytes, carriageReturnRestartsLine: true)
        let mirror = self.mirror
        let report = { (line: LineSplitter.Line) -> Void in
            mirror?.report(line.isTruncated ? line.text + " … [line cut: \(line.byteCount) bytes]" : line.text)
        }
        loop: while true {
            if let deadline = state.withLock({ $0.stopDeadline }), ContinuousClock.now >= deadline { break }
            let ready = poll(&descriptor, 1, Self.pollMilliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            if ready == 0 {
                if state.withLock({ $0.stopRequested }) { break }
                continue
            }
            // Readable, or hung up (end of file after the last bytes).
            var chunks = 0
            while true {
                let count = read(readEnd, buffer.baseAddress, Self.chunk)
                if count > 0 {
                    let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
                    file.write(bytes)
                    if mirror != nil { splitter.append(bytes, emit: report) }
                    // A full chunk: more is probably waiting; read on without polling (for a while).
                    chunks += 1
                    if count == Self.chunk, chunks < 16 { continue }
                    break
                }
                if count == 0 { break loop }
                if errno == EINTR { continue }
                break loop
            }
        }
        close(readEnd)
        if mirror != nil, let last = splitter.finish() { report(last) }
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.ended = true
            defer {
                state.waiter = nil
                state.endWaiters = [:]
            }
            return Array(state.endWaiters.values) + (state.waiter.map { [$0] } ?? [])
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits until the pipe's end of file (every process holding it is gone), at most `limit`:
    /// an event, where polling the process table would wait a step. Call it from a task that is
    /// not cancelled (a cancelled one gives up at once).
    func waitForEnd(upTo limit: Duration) async {
        let token = state.withLock { state -> Int in
            defer { state.nextToken += 1 }
            return state.nextToken
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = self.state.withLock { state -> Bool in
                        if state.ended { return true }
                        state.endWaiters[token] = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                // The limit passed (or the wait is over): resume the waiter if it still waits.
                let waiter = self.state.withLock { $0.endWaiters.removeValue(forKey: token) }
                waiter?.resume()
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Tells the thread to end once the pipe is empty (at most half a second later), and waits
    /// until it has ended.
    func finish() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                state.stopRequested = true
                state.stopDeadline = ContinuousClock.now.advanced(by: .milliseconds(500))
                if state.ended { return true }
                state.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}
