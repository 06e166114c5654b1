import Foundation

/// Records a session: numbers every session event, and the events the recorder and the front
/// end add themselves (`sessionStart`, tool processes, a headless result, `sessionEnd`), as
/// records written to the log file and to any other sink (the `stream-json` output).
///
/// An owned pump task drains the session's event subscription as fast as events come and
/// numbers each record on the spot; each sink has its own `SinkChannel` (a bounded buffer and a
/// serial dispatch queue that writes many records per write). A slow disk only delays its
/// channel, a stalled output pipe holds back only the output, and publishing never waits.
public final class SessionRecorder: Sendable {
    private struct State {
        var logFailure: String?
        var finishing = false
        var finalTally: SessionTally?
        var finishWaiters: [CheckedContinuation<SessionTally, Never>] = []
        var tally = SessionTally()
        var sequence = 0
        /// `session_end` was numbered: nothing may follow it.
        var ended = false
    }

    /// Waiting records per sink from which a call's progress lines are joined.
    public static let coalescingThreshold = 1024
    /// How long the end waits for a sink that writes nothing before giving up on it.
    static let writePatience: Duration = .seconds(2)

    /// The session's id: in the log file's name and in every record.
    public let sessionID: String
    /// The log file, nil when logging is disabled or the file could not be opened.
    public let logFile: URL?
    /// What recovery found about the session before this one, if its log lacks its end.
    public let recovery: SessionLogRecovery.Finding?

    private let session: Session
    private let pump: Task<Void, Never>
    // Shared with the pump and the sink queues, which must not retain the recorder.
    private let state: Locked<State>
    /// Every sink's channel, the log file's first.
    private let channels: [SinkChannel]
    private let logChannel: SinkChannel?

    /// Starts recording `session`: call before `session.start()` and `submit`, so that no event
    /// is missed. Checks for an unexpectedly ended earlier session first (see `recovery`), then
    /// opens the log; a log that cannot be opened is reported in `logFailure`, never thrown.
    public static func start(
        session: Session,
        log: SessionLogLocation,
        metadata: SessionMetadata,
        extraSinks: [any SessionRecordSink] = [],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        now: Date = Date(),
        coalescingThreshold: Int = SessionRecorder.coalescingThreshold,
        resuming: URL? = nil
    ) -> SessionRecorder {
        let recovery = SessionLogRecovery.check(location: log, environment: environment)
        // Resuming that very session: its survivors are stopped all the same, and the resume's
        // own notice says what came back instead of "had not finished".
        let quiet = resuming != nil && resuming.map { $0.standardizedFileURL.path } == recovery?.logFile.standardizedFileURL.path
        let sessionID = SessionLogLocation.makeSessionID()
        let url: URL? = switch log {
        case .disabled: nil
        case .file(let url): url
        case .sessionsDirectory:
            SessionLogLocation.sessionsDirectory(environment: environment)
                .appendingPathComponent(SessionLogLocation.fileName(startedAt: now, sessionID: sessionID))
        }
        var logWriter: SessionLogWriter?
        var openFailure: String?
        if let url {
            do throws(SessionSinkError) {
                logWriter = try SessionLogWriter(url: url)
            } catch {
                openFailure = "\(error.message) The session goes on without a log."
            }
        }
        return SessionRecorder(
            session: session, sessionID: sessionID, recovery: recovery, logWriter: logWriter, extraSinks: extraSinks,
            openFailure: openFailure, metadata: metadata, now: now, coalescingThreshold: coalescingThreshold,
            reportsRecovery: !quiet
        )
    }

    private init(
        session: Session, sessionID: String, recovery: SessionLogRecovery.Finding?, logWriter: SessionLogWriter?,
        extraSinks: [any SessionRecordSink], openFailure: String?, metadata: SessionMetadata, now: Date,
        coalescingThreshold: Int, reportsRecovery: Bool
    ) {
        let logFile = logWriter?.url
        self.session = session
        self.sessionID = sessionID
        self.logFile = logFile
        self.recovery = reportsRecovery ? recovery : nil
        let state = Locked(State(logFailure: openFailure))
        self.state = state

        let events = session.events
        let report: @Sendable (String) -> Void = { failure in
            let message = "\(failure) The session goes on; the log may miss records."
            state.withLock { state in
                if state.logFailure == nil { state.logFailure = message }
            }
            // Each sink's first failure is reported once, on screen, through the session's
            // own event bus.
            events.publish(.warning(message))
        }
        // The other sinks follow the log: none writes a record before the log has it, so a
        // record anyone saw (the `stream-json` output) survives a kill in the log too.
        let logChannel = logWriter.map { SinkChannel(sink: $0, coalescingThreshold: coalescingThreshold, onFirstFailure: report) }
        let channels = (logChannel.map { [$0] } ?? []) + extraSinks.map {
            SinkChannel(sink: $0, coalescingThreshold: coalescingThreshold, onFirstFailure: report, following: logChannel)
        }
        self.channels = channels
        self.logChannel = logChannel

        let start = SessionStart(sessionID: sessionID, pid: getpid(), logFile: logFile?.path, metadata: metadata)
        SessionRecorder.admit(.sessionStart(start), at: now, state: state, channels: channels, sessionID: sessionID)
        if reportsRecovery, let recovery {
            SessionRecorder.admit(.warning(recovery.message), at: now, state: state, channels: channels, sessionID: sessionID)
        }
        if let openFailure {
            SessionRecorder.admit(.warning(openFailure), at: now, state: state, channels: channels, sessionID: sessionID)
        }

        // Subscribed here, synchronously, so every event published after `start` returns is seen.
        let subscription = session.events.subscribe()
        pump = Task {
            // Under a flood of progress lines the pump itself falls behind the bus: then a call's
            // consecutive lines become one record (`lines` says how many) before any numbering,
            // which costs the pump a comparison per line instead of a record, so it catches up
            // and the bus's buffer for it stays small. Joining happens only while at least
            // `coalescingThreshold` events wait, so the next one is already there: a joined
            // line never waits for an event that may not come.
            var joined: (agent: AgentRef, callID: String, line: String, lines: Int)?
            func admitJoined() {
                guard let pending = joined else { return }
                joined = nil
                let event = SessionEvent.toolProgress(agent: pending.agent, callID: pending.callID, line: pending.line, lines: pending.lines)
                SessionRecorder.admit(event, at: Date(), state: state, channels: channels, sessionID: sessionID)
            }
            for await event in subscription {
                if case .toolProgress(let agent, let callID, let line, let lines) = event,
                   subscription.pendingCount >= coalescingThreshold {
                    if let pending = joined, pending.callID == callID {
                        joined = (agent, callID, line, pending.lines + lines)
                    } else {
                        admitJoined()
                        joined = (agent, callID, line, lines)
                    }
                    continue
                }
                admitJoined()
                SessionRecorder.admit(event, at: Date(), state: state, channels: channels, sessionID: sessionID)
            }
            admitJoined()
        }
    }

    deinit {
        pump.cancel()
    }

    /// Numbers and tallies a record and hands it to every channel, in one step under the lock,
    /// so that every sink sees the same records in the same order. Never waits.
    ///
    /// Events arrive in causal order: the registry publishes a task's transitions onto the
    /// session bus synchronously, before the task's body runs, so a task's `task_started`
    /// precedes anything its agent does.
    private static func admit(
        _ event: SessionEvent, at time: Date, state: Locked<State>, channels: [SinkChannel], sessionID: String
    ) {
        state.withLock { state in
            guard !state.ended else { return }
            state.tally.apply(event)
            // Numbered per session: the log skips the numbers of text deltas it leaves out,
            // and those of the lines a joined progress record stands for.
            state.sequence += 1
            let record = SessionRecord(sequence: state.sequence, time: time, event: event, sessionID: sessionID)
            state.sequence += event.standsFor - 1
            if case .sessionEnd = event { state.ended = true }
            for channel in channels { channel.append(record) }
        }
    }

    /// The first problem with the log or another sink (could not open or write it), for the
    /// front end to show if it missed the warning event (it was not subscribed yet at start, or
    /// the failure came after the session's events ended).
    public var logFailure: String? { state.withLock { $0.logFailure } }

    /// Notices for the person at start: the recovery finding and a log that could not be opened.
    public var startupNotices: [String] {
        [recovery?.message, logFailure].compactMap { $0 }
    }

    /// The most records that ever waited for one sink at once: bounded by the coalescing
    /// threshold plus one per running call plus the records that are never joined.
    public var mostRecordsWaiting: Int { channels.map { $0.waiting.most }.max() ?? 0 }

    /// Appends an event the front end makes itself and does not publish on the session bus
    /// (e.g. a headless `result`, a `toolProcess`). Never waits. Events on the bus (user input,
    /// slash commands and their replies, turns, tools, tasks) are recorded from the bus: do not
    /// add them here.
    public func record(_ event: SessionEvent) {
        SessionRecorder.admit(event, at: Date(), state: state, channels: channels, sessionID: sessionID)
    }

    /// Waits until every record handed over so far is written, and the session events the
    /// recorder has already taken from the bus (one published a moment ago may still be on its
    /// way: `drain` waits for all); returns the tally at that point. A sink that writes nothing
    /// for 2 s is given up on.
    @discardableResult
    public func flush() async -> SessionTally {
        for channel in channels {
            _ = await channel.waitUntilWritten(channel.admitted, patience: Self.writePatience)
        }
        return state.withLock { $0.finalTally ?? $0.tally }
    }

    /// Waits until every record handed over so far is in the log file, whatever the other
    /// sinks do (a stalled `stream-json` reader never holds back the log).
    public func flushLog() async {
        guard let logChannel else { return }
        _ = await logChannel.waitUntilWritten(logChannel.admitted, patience: Self.writePatience)
    }

    /// Shuts the session down (if the front end has not), waits for its last event to be
    /// recorded, and returns the tally: the final state of every task. Records can still be
    /// added before `finish`.
    @discardableResult
    public func drain() async -> SessionTally {
        _ = await session.shutdown()
        await pump.value
        return state.withLock { $0.finalTally ?? $0.tally }
    }

    /// Ends the recording: drains the session, writes `session_end` with every task's final
    /// state, and closes the sinks. A sink that takes nothing for 2 s is left behind and named
    /// in `logFailure` (a stuck write never holds up the end). Idempotent; returns the final tally.
    @discardableResult
    public func finish(ending: RunEnding) async -> SessionTally {
        let first = state.withLock { state -> Bool in
            defer { state.finishing = true }
            return !state.finishing
        }
        guard first else {
            return await withCheckedContinuation { continuation in
                let done = state.withLock { state -> SessionTally? in
                    if let tally = state.finalTally { return tally }
                    state.finishWaiters.append(continuation)
                    return nil
                }
                if let done { continuation.resume(returning: done) }
            }
        }
        let tally = await drain()
        let end = SessionEnd(sessionID: sessionID, ending: ending, exitCode: ending.exitCode, tasks: Array(tally.tasks.values))
        record(.sessionEnd(end))
        for channel in channels {
            let admitted = channel.admitted
            if await channel.waitUntilWritten(admitted, patience: Self.writePatience) {
                channel.close()
            } else {
                channel.abandon()
                let unwritten = channel.unwritten
                let message = "\(channel.sink.displayName) stopped taking records; \(unwritten) record\(unwritten == 1 ? "" : "s") at the end could not be written."
                state.withLock { state in
                    if state.logFailure == nil { state.logFailure = message }
                }
            }
        }
        let waiters = state.withLock { state -> [CheckedContinuation<SessionTally, Never>] in
            state.finalTally = tally
            defer { state.finishWaiters = [] }
            return state.finishWaiters
        }
        for waiter in waiters { waiter.resume(returning: tally) }
        return tally
    }
}
