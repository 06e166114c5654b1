import Foundation
import MusterCore
import MusterPresentation

/// Runs the main agent on one prompt without a terminal and reports: the final answer, one
/// JSON object, or a stream of JSON records. Background tasks still running when the main turn
/// ends are waited for (their results go to the main agent for a final turn), bounded by a
/// timeout, or cancelled at once, as the options say; whatever is cancelled or never reached
/// the agent is reported. A stop request (a signal) cancels everything and still writes the log.
public struct HeadlessRunner: Sendable {
    /// What a run ended with.
    public struct Outcome: Sendable, Equatable {
        /// How the run ended (its exit status is `ending.exitCode`).
        public var ending: RunEnding
        /// The `result` record (also the `json` output).
        public var result: RunResult
        /// The session log, if one was written.
        public var logFile: URL?
    }

    /// Why the run stopped waiting.
    private enum Ending: Sendable, Equatable {
        /// Nothing runs and nothing waits: the agent answered last.
        case settled
        case timedOut
        case notWaited
        case agentFailed(String)
        case stopped(RunEnding)
        /// The session closed under the runner.
        case sessionClosed

        var runEnding: RunEnding {
            switch self {
            case .settled, .timedOut, .notWaited: .completed
            case .agentFailed, .sessionClosed: .agentFailed
            case .stopped(let stop): stop
            }
        }
    }

    private let session: Session
    private let options: HeadlessOptions
    private let log: SessionLogLocation
    private let metadata: SessionMetadata
    private let output: any HeadlessOutput
    private let clock: any Clock<Duration>
    private let environment: [String: String]
    private let warnings: [String]
    private let processes: ToolProcessRegistry?

    /// A runner for `session`; `clock` bounds the background wait (inject a test clock in tests);
    /// `warnings` (from setting up) are shown on standard error and logged.
    public init(
        session: Session,
        options: HeadlessOptions,
        log: SessionLogLocation,
        metadata: SessionMetadata,
        output: any HeadlessOutput,
        clock: any Clock<Duration> = ContinuousClock(),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        warnings: [String] = [],
        processes: ToolProcessRegistry? = nil
    ) {
        self.session = session
        self.options = options
        self.log = log
        self.metadata = metadata
        self.output = output
        self.clock = clock
        self.environment = environment
        self.warnings = warnings
        self.processes = processes
    }

    /// Runs `prompt` to the end; `stops` delivers stop requests (signals) at any time.
    /// `resume` (`--continue`, `--resume`): the earlier session's log, and what puts it into the
    /// session once this one is recorded, before it starts; it returns the notices to show.
    public func run(
        prompt: String, stops: AsyncStream<RunEnding>,
        resume: (log: URL, apply: @Sendable (Session) async -> [String])? = nil
    ) async -> Outcome {
        let clock: any Clock<Duration> = self.clock
        let timeline = Timeline(clock: clock)
        let sinks: [any SessionRecordSink] = options.outputFormat == .streamJSON ? [StreamJSONSink(output: output)] : []
        let recorder = SessionRecorder.start(
            session: session, log: log, metadata: metadata, extraSinks: sinks, environment: environment, resuming: resume?.log
        )
        let notices = Notices(output: output)
        processes?.observe { recorder.record(.toolProcess(ToolProcessRecord(sessionID: recorder.sessionID, $0))) }
        for notice in recorder.startupNotices { notices.warn(notice) }
        for warning in warnings {
            notices.warn(warning)
            recorder.record(.warning(warning))
        }
        if let resume {
            for notice in await resume.apply(session) { notices.warn(notice) }
        }

        // Subscribed before the session starts, so the first turn's events are all seen.
        let subscription = session.events.subscribe()
        await session.start()
        await session.send(.prompt(prompt))

        let answers = Locked<[String]>([])
        let ending = await waitForEnding(subscription: subscription, stops: stops, notices: notices, answers: answers)

        let report = await session.shutdown(grace: options.shutdownGrace)
        // Results no agent took: cancelled at shutdown, or finished after the last turn.
        let undelivered = await session.takeUndeliveredResults()
        let tally = await recorder.drain()
        let result = makeResult(
            ending: ending, tally: tally, cancelled: report.cancelled, undelivered: undelivered,
            duration: timeline.now
        )
        recorder.record(.result(result))
        writeOutput(result, answers: answers.withLock { $0 }, notices: notices)
        tellAboutLeftovers(ending: ending, cancelled: report.cancelled, undelivered: undelivered, notices: notices)

        await recorder.finish(ending: ending.runEnding)
        if let failure = recorder.logFailure { notices.warn(failure) }
        return Outcome(ending: ending.runEnding, result: result, logFile: recorder.logFile)
    }

    // MARK: Waiting

    /// Races the session settling against a stop request and the background timeout.
    private func waitForEnding(
        subscription: EventSubscription<SessionEvent, SessionEventKey>,
        stops: AsyncStream<RunEnding>,
        notices: Notices,
        answers: Locked<[String]>
    ) async -> Ending {
        let (firstTurnEnded, firstTurnSignal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        return await withTaskGroup(of: Ending?.self) { group in
            group.addTask {
                await watch(subscription, firstTurnSignal: firstTurnSignal, notices: notices, answers: answers)
            }
            group.addTask {
                for await stop in stops { return .stopped(stop) }
                return nil
            }
            if case .wait(let timeout?) = options.background {
                let clock = self.clock
                group.addTask {
                    // The timeout bounds the wait after the main turn, not the turn itself.
                    for await _ in firstTurnEnded {
                        do { try await clock.sleep(for: timeout) } catch { return nil }
                        return .timedOut
                    }
                    return nil
                }
            }
            var ending: Ending?
            while ending == nil, let next = await group.next() { ending = next }
            group.cancelAll()
            return ending ?? .sessionClosed
        }
    }

    /// Follows the session's events until it settles: the first turn ended, no turn runs,
    /// no task is active and no result waits for the main agent.
    private func watch(
        _ subscription: EventSubscription<SessionEvent, SessionEventKey>,
        firstTurnSignal: AsyncStream<Void>.Continuation,
        notices: Notices,
        answers: Locked<[String]>
    ) async -> Ending? {
        var firstTurnDone = false
        var turnOpen = false
        for await event in subscription {
            switch event {
            case .warning(let message):
                notices.warn(message)
            case .turnStart:
                turnOpen = true
            case .turnEnd(_, let outcome):
                turnOpen = false
                if case .completed(let text) = outcome, !text.isEmpty { answers.withLock { $0.append(text) } }
                if case .failed(let error) = outcome { return .agentFailed(error) }
                if !firstTurnDone {
                    firstTurnDone = true
                    firstTurnSignal.yield()
                    firstTurnSignal.finish()
                    if options.background == .noWait { return .notWaited }
                }
            default:
                break
            }
            guard firstTurnDone, !turnOpen else { continue }
            if await isSettled(subscription) { return .settled }
        }
        return Task.isCancelled ? nil : .sessionClosed
    }

    /// True when nothing can happen any more without new input.
    ///
    /// Tasks and results are asked of the session (`overview`); turns are known from the events read so
    /// far, and the final check that no event is left unread makes that knowledge current: a
    /// turn that started before the session answered has published `turnStart` by then.
    /// (A turn queued for results that an earlier turn already took publishes nothing and
    /// does nothing, so it is rightly ignored.)
    private func isSettled(_ subscription: EventSubscription<SessionEvent, SessionEventKey>) async -> Bool {
        var overview = await session.overview()
        // Paused agents (restored by --continue and left paused) wait for a person: not work under way.
        func working(_ overview: SessionOverview) -> Int { overview.activeTasks - overview.tasks.filter(\.isPaused).count }
        guard working(overview) == 0, overview.pendingResults == 0 else { return false }
        if overview.turnPending {
            // A turn that took the last results may not have published `turnStart` yet, and one
            // that finds nothing to do publishes nothing: wait for it here, then look again
            // (its events, if any, are then unread, so the check below sends the loop on).
            await session.waitUntilIdle()
            if Task.isCancelled { return false }
            overview = await session.overview()
            guard working(overview) == 0, overview.pendingResults == 0, !overview.turnPending else { return false }
        }
        return subscription.pendingCount == 0
    }

    // MARK: Reporting

    private func makeResult(
        ending: Ending, tally: SessionTally, cancelled: [TaskSnapshot], undelivered: [TaskResult], duration: Duration
    ) -> RunResult {
        let hadBackground = tally.tasks.values.contains { $0.mode == .background }
        let leftovers = !cancelled.isEmpty || !undelivered.isEmpty
        let status: RunResult.Status
        var error: String?
        let background: RunResult.BackgroundOutcome
        switch ending {
        case .settled:
            status = .success
            background = hadBackground ? .completed : .none
        case .timedOut:
            status = .success
            background = leftovers ? .timedOut : (hadBackground ? .completed : .none)
        case .notWaited:
            status = .success
            background = leftovers ? .notWaited : .none
        case .agentFailed(let message):
            (status, error) = (.error, message)
            background = leftovers ? .cancelled : (hadBackground ? .completed : .none)
        case .stopped(let stop):
            (status, error) = (.interrupted, "Stopped by \(stop.signalName ?? "a signal").")
            background = leftovers ? .cancelled : (hadBackground ? .completed : .none)
        case .sessionClosed:
            (status, error) = (.error, "The session closed before the agent answered.")
            background = leftovers ? .cancelled : (hadBackground ? .completed : .none)
        }
        return RunResult(
            status: status, text: tally.lastAnswer ?? "", error: error, exitCode: ending.runEnding.exitCode,
            durationSeconds: duration.seconds, usage: tally.usage, turns: tally.turns, modelCalls: tally.modelCalls, background: background,
            cancelledTaskIDs: cancelled.map(\.id), undeliveredTaskIDs: undelivered.map(\.id),
            tasks: Array(tally.tasks.values), approvalsRefused: session.runtime.approvals.refusals
        )
    }

    private func writeOutput(_ result: RunResult, answers: [String], notices: Notices) {
        let text: String
        switch options.outputFormat {
        case .streamJSON:
            return  // The recorder already streamed the result record.
        case .json:
            text = SessionEvent.result(result).jsonObject + "\n"
        case .text:
            // Every answer the agent gave, in order (each turn's text), even when a stop or
            // failure came later: the exit status says how the run ended.
            let all = answers.joined(separator: "\n\n")
            guard !all.isEmpty else { return }
            // A person reads a terminal: escape sequences from the model must not reach it.
            // A pipe or file gets the answers byte for byte.
            let answer = output.standardOutputIsTerminal
                ? TerminalSanitizer.lines(of: all).joined(separator: "\n") : all
            text = answer.hasSuffix("\n") ? answer : answer + "\n"
        }
        do throws(SessionSinkError) { try output.write(text) } catch { notices.warn(error.message) }
    }

    /// Never leave silently: say what failed, what was cancelled, and which results no agent saw.
    private func tellAboutLeftovers(ending: Ending, cancelled: [TaskSnapshot], undelivered: [TaskResult], notices: Notices) {
        let cancelledList = cancelled.map { "\($0.id) \($0.name)" }.joined(separator: ", ")
        let cancelledPhrase = cancelled.isEmpty ? "" : "; cancelled \(cancelled.count) still running: \(cancelledList)"
        switch ending {
        case .settled:
            break
        case .timedOut:
            if case .wait(let timeout?) = options.background, !cancelled.isEmpty {
                notices.say("Stopped waiting for background work after \(timeout.humanReadable)\(cancelledPhrase).")
            }
        case .notWaited:
            if !cancelled.isEmpty { notices.say("Not waiting for background work (--no-wait)\(cancelledPhrase).") }
        case .agentFailed(let message):
            notices.say("The agent failed: \(message)\(cancelledPhrase)")
        case .stopped(let stop):
            notices.say("Stopped by \(stop.signalName ?? "a signal")\(cancelledPhrase).")
        case .sessionClosed:
            notices.say("The session closed before the agent answered\(cancelledPhrase).")
        }
        for result in undelivered where !cancelled.contains(where: { $0.id == result.id }) {
            var line = "Result of \(result.id) \(result.name) (\(result.status.word)), which no agent saw"
            switch result.status {
            case .completed(let summary): line += ":\n" + summary
            case .failed(let error): line += ": " + error
            default: line += "."
            }
            notices.say(line)
        }
    }
}

/// Standard-error notices of one run, each warning shown once, every line made inert first
/// (task names, errors and results come from models and tools).
private final class Notices: Sendable {
    private let output: any HeadlessOutput
    private let shown = Locked<Set<String>>([])

    init(output: any HeadlessOutput) {
        self.output = output
    }

    /// A warning, unless already shown.
    func warn(_ message: String) {
        let isNew = shown.withLock { $0.insert(message).inserted }
        if isNew { output.report("muster: warning: \(Self.inert(message))") }
    }

    /// A notice.
    func say(_ message: String) {
        output.report("muster: \(Self.inert(message))")
    }

    private static func inert(_ text: String) -> String {
        TerminalSanitizer.lines(of: text).joined(separator: "\n")
    }
}
