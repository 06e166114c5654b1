import Foundation

/// Records a session: turns every session event, and what the front end adds (slash commands,
/// a headless result, the ending), into numbered records written to the log file and to any
/// other sink (the `stream-json` output).
///
/// Two owned tasks do the work, off the agents' path: a pump that drains the session's event
/// subscription into an unbounded inbox, and a writer that takes records from the inbox one at
/// a time and hands each line to the sinks on a serial dispatch queue. A slow disk therefore
/// only delays the writer; publishing an event never waits. Both tasks end in `finish`.
public final class SessionRecorder: Sendable {
    private enum Item: Sendable {
        case event(SessionEvent, Date)
        case record(SessionRecord.Body, Date)
        /// Resumed with the tally once every earlier item is written.
        case barrier(CheckedContinuation<SessionTally, Never>)
    }

    private struct State {
        var logFailure: String?
        var finishing = false
        var finalTally: SessionTally?
    }

    /// The session's id: in the log file's name, `session_start` and `session_end`.
    public let sessionID: String
    /// The log file, nil when logging is disabled or the file could not be opened.
    public let logFile: URL?
    /// What recovery found about the session before this one, if it ended unexpectedly.
    public let recovery: SessionLogRecovery.Finding?

    private let session: Session
    private let inbox: AsyncStream<Item>.Continuation
    private let pump: Task<Void, Never>
    private let writer: Task<Void, Never>
    // Shared with the writer task, which must not retain the recorder.
    private let state: Locked<State>

    /// Starts recording `session`: call before `session.start()` and `submit`, so that no event
    /// is missed. Checks for an unexpectedly ended earlier session first (see `recovery`), then
    /// opens the log; a log that cannot be opened is reported in `logFailure`, never thrown.
    public static func start(
        session: Session,
        log: SessionLogLocation,
        metadata: SessionMetadata,
        extraSinks: [any SessionRecordSink] = [],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        now: Date = Date()
    ) -> SessionRecorder {
        let recovery = SessionLogRecovery.check(location: log, environment: environment)
        let sessionID = SessionLogLocation.makeSessionID()
        let url: URL? = switch log {
        case .disabled: nil
        case .file(let url): url
        case .sessionsDirectory:
            SessionLogLocation.sessionsDirectory(environment: environment)
                .appendingPathComponent(SessionLogLocation.fileName(startedAt: now, sessionID: sessionID))
        }
        var sinks = extraSinks
        var openFailure: String?
        var openedURL: URL?
        if let url {
            do throws(SessionSinkError) {
                let writer = try SessionLogWriter(url: url)
                sinks.insert(writer, at: 0)
                openedURL = url
            } catch {
                openFailure = "\(error.message) The session goes on without a log."
            }
        }
        return SessionRecorder(
            session: session, sessionID: sessionID, logFile: openedURL, recovery: recovery, sinks: sinks,
            openFailure: openFailure, metadata: metadata, now: now
        )
    }

    private init(
        session: Session, sessionID: String, logFile: URL?, recovery: SessionLogRecovery.Finding?,
        sinks: [any SessionRecordSink], openFailure: String?, metadata: SessionMetadata, now: Date
    ) {
        self.session = session
        self.sessionID = sessionID
        self.logFile = logFile
        self.recovery = recovery
        self.state = Locked(State(logFailure: openFailure))

        let (stream, inbox) = AsyncStream<Item>.makeStream(bufferingPolicy: .unbounded)
        self.inbox = inbox
        let start = SessionStart(sessionID: sessionID, pid: getpid(), logFile: logFile?.path, metadata: metadata)
        inbox.yield(.record(.sessionStart(start), now))
        if let recovery { inbox.yield(.record(.warning(message: recovery.message), now)) }
        if let openFailure { inbox.yield(.record(.warning(message: openFailure), now)) }

        // Subscribed here, synchronously, so every event published after `start` returns is seen.
        let subscription = session.events.subscribe()
        pump = Task {
            for await event in subscription { inbox.yield(.event(event, Date())) }
        }

        let output = SinkQueue(sinks: sinks)
        let state = self.state
        let events = session.events
        writer = Task {
            var tally = SessionTally()
            var ordering = RecordOrdering()
            var sequence = 0

            func write(_ body: SessionRecord.Body, at time: Date) async {
                tally.apply(body)
                // Numbered per session: the log skips the numbers of text deltas it leaves out.
                sequence += 1
                let line = SessionRecord(sequence: sequence, time: time, body: body, sessionID: sessionID).jsonLine + "\n"
                for failure in await output.write(line, isTextDelta: body.isTextDelta) {
                    let message = "\(failure) The session goes on; the log may miss records."
                    state.withLock { state in
                        if state.logFailure == nil { state.logFailure = message }
                    }
                    // Each sink's first failure is reported once, on screen, through the
                    // session's own event bus.
                    events.publish(.warning(message))
                }
            }

            for await item in stream {
                let admitted: [RecordOrdering.Entry]
                switch item {
                case .barrier(let continuation):
                    continuation.resume(returning: tally)
                    continue
                case .event(let event, let date):
                    admitted = ordering.admit(SessionRecord.Body(event), at: date)
                case .record(.sessionEnd(let end), let date):
                    // Nothing may follow the end: release what still waits first.
                    admitted = ordering.releaseAll() + [(.sessionEnd(end), date)]
                case .record(let record, let date):
                    admitted = ordering.admit(record, at: date)
                }
                for entry in admitted { await write(entry.body, at: entry.time) }
            }
            for entry in ordering.releaseAll() { await write(entry.body, at: entry.time) }
            await output.close()
        }
    }

    deinit {
        pump.cancel()
        inbox.finish()
    }

    /// The first problem with the log or another sink (could not open or write it), for the
    /// front end to show if it missed the warning event (it was not subscribed yet at start, or
    /// the failure came after the session's events ended).
    public var logFailure: String? { state.withLock { $0.logFailure } }

    /// Notices for the person at start: the recovery finding and a log that could not be opened.
    public var startupNotices: [String] {
        [recovery?.message, logFailure].compactMap { $0 }
    }

    /// Records a slash command the person typed; call before running it. Never waits.
    public func recordSlashCommand(_ command: String) {
        record(.slashCommand(command: command))
    }

    /// Appends a record made by the front end (e.g. a headless `result`). Never waits.
    /// User input is recorded from the session's own `userMessage` event: do not add it here.
    public func record(_ body: SessionRecord.Body) {
        inbox.yield(.record(body, Date()))
    }

    /// Waits until every record handed over so far is written, and the session events the
    /// recorder has already taken from the bus (one published a moment ago may still be on its
    /// way: `drain` waits for all); returns the tally at that point.
    @discardableResult
    public func flush() async -> SessionTally {
        await withCheckedContinuation { continuation in
            if case .terminated = inbox.yield(.barrier(continuation)) {
                // Already finished: the writer is gone, so there is nothing left to wait for.
                continuation.resume(returning: state.withLock { $0.finalTally } ?? SessionTally())
            }
        }
    }

    /// Shuts the session down (if the front end has not), waits for its last event to be
    /// recorded, and returns the tally: the final state of every task. Records can still be
    /// added before `finish`.
    @discardableResult
    public func drain() async -> SessionTally {
        _ = await session.shutdown()
        await pump.value
        return await flush()
    }

    /// Ends the recording: drains the session, writes `session_end` with every task's final
    /// state, and closes the sinks. Idempotent; returns the final tally.
    @discardableResult
    public func finish(ending: SessionEnding, exitCode: Int32? = nil) async -> SessionTally {
        let first = state.withLock { state -> Bool in
            defer { state.finishing = true }
            return !state.finishing
        }
        guard first else {
            await writer.value
            return state.withLock { $0.finalTally } ?? SessionTally()
        }
        let tally = await drain()
        let end = SessionEnd(sessionID: sessionID, ending: ending, exitCode: exitCode, tasks: Array(tally.tasks.values))
        state.withLock { $0.finalTally = tally }
        record(.sessionEnd(end))
        inbox.finish()
        await writer.value
        return tally
    }
}

/// The sinks and the serial queue that does their blocking writes, so that no thread of the
/// Swift concurrency pool ever waits for a disk or a pipe.
private final class SinkQueue: Sendable {
    private let sinks: [any SessionRecordSink]
    private let queue = DispatchQueue(label: "muster.session-recorder")
    // Touched only on `queue`; the lock makes that provable to the compiler.
    private let failed: Locked<[Bool]>

    init(sinks: [any SessionRecordSink]) {
        self.sinks = sinks
        self.failed = Locked(Array(repeating: false, count: sinks.count))
    }

    /// Writes `line` to every sink that takes it; returns the first failure of each sink.
    func write(_ line: String, isTextDelta: Bool) async -> [String] {
        if sinks.isEmpty { return [] }
        return await withCheckedContinuation { continuation in
            queue.async { [self] in
                var failures: [String] = []
                for (index, sink) in sinks.enumerated() where !isTextDelta || sink.wantsTextDeltas {
                    do throws(SessionSinkError) {
                        try sink.write(line)
                    } catch {
                        let isFirst = failed.withLock { flags in
                            defer { flags[index] = true }
                            return !flags[index]
                        }
                        if isFirst { failures.append(error.message) }
                    }
                }
                continuation.resume(returning: failures)
            }
        }
    }

    /// Closes every sink after the writes queued before.
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async { [sinks] in
                for sink in sinks { sink.close() }
                continuation.resume()
            }
        }
    }
}
