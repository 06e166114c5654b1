import Dispatch
import Foundation
import MusterCore
import MusterPresentation

/// The full-screen front end. One isolation domain (the main actor) owns every curses call;
/// keys, signals, resizes and session events all arrive there as events, and redraws are
/// coalesced. Nothing runs while nothing changes: no polling, a 1 Hz tick only while work runs.
@MainActor
final class InteractiveApp {
    private let session: Session
    private let screen: any AppTerminal
    private let history: CommandHistory?
    private let sessionNote: String?
    private var state: InteractiveState
    private let decoder = KeyDecoder()
    private var pastes = PasteAssembler()

    private var throttle = RedrawThrottle()
    private let redrawTimer: any DispatchSourceTimer
    private var tickTimer: (any DispatchSourceTimer)?
    private var hintTimer: (any DispatchSourceTimer)?
    private var inputSource: (any DispatchSourceRead)?
    private var signals: SignalSource?
    /// Forces the exit if the orderly shutdown has not ended in time (see `requestExit`).
    private var exitDeadline: (any DispatchSourceTimer)?
    private var killEscalation: (any DispatchSourceTimer)?

    private let intents: AsyncStream<AppIntent>.Continuation
    private let intentStream: AsyncStream<AppIntent>
    /// Transcripts the task dialog's detail wants: only the newest request waits (they coalesce).
    private let transcriptRequests: AsyncStream<TaskID>.Continuation
    private let transcriptRequestStream: AsyncStream<TaskID>
    private var ending: RunEnding?
    private var exitWaiter: CheckedContinuation<RunEnding, Never>?
    private var reportedHistoryError = false

    /// Sets up the session and the terminal, runs until the person leaves, shuts everything
    /// down, restores the terminal and prints the summary line; returns how it ended.
    static func run(session: Session, options: FrontEndOptions, startupMessages: [String]) async -> RunEnding {
        let subscription = EventFeeds(session.events)
        await session.start()
        let overview = await session.overview()
        let screen: CursesScreen
        do {
            screen = try CursesScreen(colors: Theme.from(environment: options.environment).usesColor)
        } catch {
            subscription.finish()
            let messages = startupMessages + ["\(error.description) Using plain mode."]
            return await PlainApp.run(session: session, options: options, startupMessages: messages)
        }
        return await run(session: session, subscription: subscription, screen: screen, overview: overview, options: options, startupMessages: startupMessages)
    }

    /// Runs the app on `terminal` (an in-memory one in the benchmarks) until the person leaves.
    static func run(session: Session, terminal: any AppTerminal, options: FrontEndOptions) async -> RunEnding {
        let subscription = EventFeeds(session.events)
        await session.start()
        let overview = await session.overview()
        return await run(session: session, subscription: subscription, screen: terminal, overview: overview, options: options, startupMessages: [])
    }

    private static func run(
        session: Session, subscription: EventFeeds, screen: any AppTerminal,
        overview: SessionOverview, options: FrontEndOptions, startupMessages: [String]
    ) async -> RunEnding {
        let pill = PillState(overview)
        let theme = Theme.from(environment: options.environment)
        let history = CommandHistory(file: options.resolvedHistoryFile)
        let app = InteractiveApp(
            session: session, screen: screen, theme: theme, pill: pill, history: history, sessionNote: options.sessionNote
        )
        app.state.seedTasks(overview.tasks)
        app.state.panel.isEnabled = options.showsAgentPanel
        app.state.append(FrontEnd.welcome(workspace: session.runtime.workspace, introduction: session.runtime.model.introduction))
        app.state.append(options.restoredTranscript)
        app.state.append(startupMessages.flatMap { TranscriptLine.lines("⚠ " + $0, style: .warning) })
        return await app.run(subscription)
    }

    private init(
        session: Session, screen: any AppTerminal, theme: Theme, pill: PillState, history: CommandHistory?, sessionNote: String?
    ) {
        self.session = session
        self.sessionNote = sessionNote
        self.screen = screen
        self.history = history
        self.state = InteractiveState(size: screen.size, theme: theme, pill: pill, history: history?.entries ?? [])
        (intentStream, intents) = AsyncStream<AppIntent>.makeStream()
        (transcriptRequestStream, transcriptRequests) = AsyncStream<TaskID>.makeStream(bufferingPolicy: .bufferingNewest(1))
        redrawTimer = DispatchSource.makeTimerSource(queue: .main)
    }

    // MARK: Lifecycle

    private func run(_ feeds: EventFeeds) async -> RunEnding {
        redrawTimer.setEventHandler { [weak self] in
            MainActor.assumeIsolated { self?.draw() }
        }
        redrawTimer.schedule(deadline: .distantFuture)
        redrawTimer.resume()
        installInput()
        // On the main queue, whose thread is the main actor's, so the handler can assume it.
        if screen.ownsProcess {
            signals = SignalSource(stopping: [SIGTERM, SIGHUP], watching: [SIGINT, SIGWINCH], queue: .main) { [weak self] event in
                MainActor.assumeIsolated { self?.handleSignal(event) }
            }
        }

        // The loops are owned here and awaited below: events end when the session's hub
        // finishes (at shutdown), intents when their stream is finished.
        let events = Task { [weak self] in
            var handled = 0
            for await event in feeds.background {
                self?.handle(event)
                // A subscription with events buffered hands them over without suspending: under
                // a flood this loop would hold the main actor, and keys would wait for the lull.
                // A reply to the person waiting goes first: the loop steps aside at once.
                handled += 1
                if handled % Self.eventsBetweenYields == 0 || feeds.replyWaiting { await Task.yield() }
            }
        }
        // The person's commands and their replies: their own subscription, so a reply never
        // queues behind a backlog of background events (it used to wait 12–40 ms under load).
        let replies = Task { [weak self] in
            for await event in feeds.replies {
                feeds.replyTaken()
                self?.handle(event)
            }
        }
        // Off the main actor, so an intent goes straight to the session instead of first waiting
        // on the main queue behind a batch of events; intents still go one at a time, in order.
        // (At `.userInitiated` priority the figures were no better, and worse for events: an actor
        // escalated by the command went on draining the agents' jobs on one more thread.)
        let work = Task.detached { [session, intentStream] in
            for await intent in intentStream {
                await Self.perform(intent, on: session)
            }
        }
        // Its own loop, so that reading a transcript never waits behind a command (or holds one up).
        let transcripts = Task { [weak self, session, transcriptRequestStream] in
            for await id in transcriptRequestStream {
                let transcript = await session.transcript(of: id) ?? AgentTranscript()
                self?.transcriptArrived(transcript, of: id)
            }
        }
        draw()

        let leaving = await withCheckedContinuation { continuation in
            if let ending { continuation.resume(returning: ending) } else { exitWaiter = continuation }
        }

        // Leaving: no more keys; say what is happening while the session stops its tasks.
        inputSource?.cancel()
        inputSource = nil
        let running = state.pill.runningCount
        state.close(running == 0 ? "Exiting…" : "Stopping \(running) background \(running == 1 ? "agent" : "agents")…")
        draw()
        intents.finish()
        transcriptRequests.finish()
        await work.value
        await transcripts.value
        let report = await session.shutdown(grace: Self.taskGrace)
        await events.value
        await replies.value
        draw()

        // Processes of tasks that did not return within the grace period are killed now.
        let killed = screen.ownsProcess ? ToolProcessRegistry.shared.killLeftovers() : []
        exitDeadline?.cancel()
        killEscalation?.cancel()
        redrawTimer.cancel()
        tickTimer?.cancel()
        hintTimer?.cancel()
        signals?.cancel()
        screen.end()
        screen.farewell(state.farewell(summary: ExitSummary.line(for: report, grace: Self.taskGrace, killed: killed), session: sessionNote))
        return leaving
    }

    /// The events the screen can show. A sub-agent's streamed text and progress lines never
    /// reach the screen (the panel and the dialog show its task's snapshot, the detail page reads
    /// its transcript), and they are most of what 200 streaming agents publish: filtered on the
    /// publisher's side, they never queue in front of a command's reply on the main actor.
    /// Conversation records are for the log only.
    nonisolated static func shows(_ event: SessionEvent) -> Bool {
        switch event {
        case .textDelta(let agent, _), .toolProgress(let agent, _, _, _): agent.taskID == nil
        case .conversation: false
        default: true
        }
    }

    /// The person's command and its reply: handled ahead of the background events buffered
    /// (commands and replies go above the streamed message anyway, see `InteractiveState.apply`).
    nonisolated static func answersThePerson(_ event: SessionEvent) -> Bool {
        switch event {
        case .slashCommand, .reply: true
        default: false
        }
    }

    /// Session events handled before the loop lets other main-actor work (keys, timers) in.
    static let eventsBetweenYields = 64

    /// Time the tasks get to stop at exit.
    static let taskGrace = ExitDeadline.taskGrace
    /// From the exit request to the forced exit, whatever has not returned by then. (Its own
    /// timer on the main queue, not `ExitDeadline`: the terminal must be restored on the main actor.)
    static let exitDeadline = ExitDeadline.deadline

    private func requestExit(_ ending: RunEnding) {
        guard self.ending == nil else { return }
        self.ending = ending
        exitWaiter?.resume(returning: ending)
        exitWaiter = nil
        guard screen.ownsProcess else { return }
        // The main actor stays free while the session shuts down (it only awaits), so this
        // timer fires even when a model, a tool or the log never returns.
        let timer = DispatchSource.makeTimerSource(queue: .main)
        timer.schedule(deadline: .now() + Self.exitDeadline.seconds)
        timer.setEventHandler { [weak self] in
            MainActor.assumeIsolated { self?.exitNow(ending, late: true) }
        }
        timer.resume()
        exitDeadline = timer
        // Tool processes that ignored SIGTERM are killed when the tasks' grace ends, so their
        // calls return and the orderly shutdown finishes before the deadline.
        killEscalation = Self.killToolProcesses(after: Self.taskGrace)
    }

    /// A timer that kills every tool process off the main actor. Nonisolated, so that its handler
    /// is not inferred to be main-actor code (which would trap when it runs on a global queue).
    private nonisolated static func killToolProcesses(after delay: Duration) -> any DispatchSourceTimer {
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + delay.seconds)
        timer.setEventHandler { ToolProcessRegistry.shared.killAll() }
        timer.resume()
        return timer
    }

    /// Leaves without waiting for the session: kills every tool process, restores the terminal,
    /// says what was not finished, and exits. For a second signal and for the exit deadline.
    private func exitNow(_ ending: RunEnding, late: Bool) {
        ToolProcessRegistry.shared.killAll()
        screen.end()
        let why = late ? "the shutdown did not finish within \(Self.exitDeadline.humanReadable) (a model, a tool or the log did not return)" : "a second signal"
        let message = "muster: exiting at once after \(why); tool processes were killed, the session log may lack its last records.\n"
        FileHandle.standardError.write(Data(message.utf8))
        _exit(ending.exitCode)
    }

    // MARK: Input

    private func installInput() {
        let source = DispatchSource.makeReadSource(fileDescriptor: screen.inputDescriptor, queue: .main)
        source.setEventHandler { [weak self] in
            MainActor.assumeIsolated { self?.readKeys(available: source.data) }
        }
        source.resume()
        inputSource = source
    }

    private func readKeys(available: UInt) {
        let inputs = screen.readInput()
        if inputs.isEmpty, available == 0 {
            // Readable with nothing to read: the terminal is gone. Stop, or this would spin.
            inputSource?.cancel()
            inputSource = nil
            requestExit(.hangup)
            return
        }
        let now = ContinuousClock.now
        for key in decoder.decode(pastes.assemble(inputs)) {
            dispatch(state.handle(key, now: now))
        }
        // A key's answer is drawn at once (once per batch read): only events are throttled, so
        // typing and moving in the task dialog never wait behind a stream of agents' updates.
        draw()
        updateTimers()
    }

    private func handleSignal(_ event: SignalEvent) {
        switch event {
        case .signal(SIGWINCH):
            screen.resize()
            state.size = screen.size
            state.transcript.scroll(by: 0, width: state.size.columns, height: state.transcriptHeight)
            draw()
        case .signal(SIGINT):
            dispatch(state.interruptSignal(now: .now))
            changed()
        case .signal:
            break
        case .stop(let ending):
            // A stop signal while leaving (after /quit, say) means "now", as a second one does.
            if self.ending != nil { exitNow(ending, late: false) }
            requestExit(ending)
        case .stopNow(let ending):
            exitNow(ending, late: false)
        }
    }

    private func dispatch(_ newIntents: [AppIntent]) {
        for intent in newIntents {
            switch intent {
            case .quit(let ending):
                requestExit(ending)
            case .repaint:
                screen.invalidate()
                draw()
            case .submit(let text), .command(let text):
                remember(text)
                intents.yield(intent)
            case .answer, .answerApproval, .interrupt, .requestQuit, .stopTask, .stopAll, .moveToBackground, .pauseTask, .resumeTask, .sendMessage:
                intents.yield(intent)
            case .fetchTranscript(let id):
                transcriptRequests.yield(id)
            }
        }
    }

    /// Sends one intent to the session, in the order the person gave them; what comes of it
    /// arrives as session events.
    private nonisolated static func perform(_ intent: AppIntent, on session: Session) async {
        switch intent {
        case .submit(let text):
            // A `!` line is the person's shell command, which the session reads from a typed line.
            await session.send(text.trimmingCharacters(in: .whitespaces).hasPrefix("!") ? .submit(text) : .prompt(text))
        case .moveToBackground:
            await session.send(.moveToBackground)
        case .command(let line):
            await session.send(.submit(line))
        case .answer(let yes):
            await session.send(.answer(yes))
        case .answerApproval(let id, let answer):
            await session.send(.answerApproval(id: id, answer))
        case .requestQuit:
            await session.send(.quit)
        case .interrupt:
            await session.send(.interrupt)
        case .stopTask(let id):
            await session.send(.cancelTask(id))
        case .stopAll:
            await session.send(.cancelAll)
        case .pauseTask(let id):
            await session.send(.pauseTask(id))
        case .resumeTask(let id):
            await session.send(.resumeTask(id))
        case .sendMessage(let id, let text):
            await session.send(.sendMessage(id, text))
        case .quit, .repaint, .fetchTranscript:
            break
        }
    }

    /// Saves a line in the history file; says once if the file cannot be written.
    private func remember(_ line: String) {
        history?.add(line)
        if let error = history?.saveError, !reportedHistoryError {
            reportedHistoryError = true
            state.append([TranscriptLine("⚠ " + error, style: .warning)])
        }
    }

    // MARK: Session events

    private func handle(_ event: SessionEvent) {
        if state.apply(event) {
            // The answer to the person's own command is drawn at once, as a key's is: behind
            // the throttle, `/tasks stop` waited up to a frame period (33 ms) to show `Stopping`.
            if case .reply = event { draw(); updateTimers() } else { changed() }
        }
        if let id = state.takeTranscriptRequest() { transcriptRequests.yield(id) }
        if case .reply(.quit) = event { requestExit(.quit) }
        let released = state.releaseQueued()
        if !released.isEmpty {
            dispatch(released)
            changed()
        }
    }

    private func transcriptArrived(_ transcript: AgentTranscript, of id: TaskID) {
        if state.receiveTranscript(transcript, of: id) { changed() }
    }

    // MARK: Drawing

    /// Something on screen changed: draw soon (coalesced), and keep the tick and hint timers right.
    private func changed() {
        switch throttle.request(now: .now) {
        case .schedule(let instant):
            let delay = ContinuousClock.now.duration(to: instant)
            redrawTimer.schedule(deadline: .now() + .nanoseconds(Int(max(0, delay.seconds) * 1e9)))
        case .alreadyScheduled:
            break
        }
        updateTimers()
    }

    private func draw() {
        state.now = .now
        let frame = InteractiveRenderer.frame(for: &state)
        screen.present(frame)
        throttle.didDraw(at: .now)
        redrawTimer.schedule(deadline: .distantFuture)
    }

    private func updateTimers() {
        if state.needsTicks, tickTimer == nil {
            let timer = DispatchSource.makeTimerSource(queue: .main)
            timer.schedule(deadline: .now() + 1, repeating: 1)
            timer.setEventHandler { [weak self] in
                MainActor.assumeIsolated {
                    guard let self else { return }
                    self.state.tick()
                    self.changed()
                }
            }
            timer.resume()
            tickTimer = timer
        } else if !state.needsTicks, let timer = tickTimer {
            timer.cancel()
            tickTimer = nil
        }
        if let expires = state.hint?.expires, hintTimer == nil {
            let timer = DispatchSource.makeTimerSource(queue: .main)
            let delay = max(0, ContinuousClock.now.duration(to: expires).seconds)
            timer.schedule(deadline: .now() + .nanoseconds(Int(delay * 1e9) + 1_000_000))
            timer.setEventHandler { [weak self] in
                MainActor.assumeIsolated {
                    guard let self else { return }
                    self.hintTimer?.cancel()
                    self.hintTimer = nil
                    if self.state.expireHint(now: .now) { self.changed() }
                    self.updateTimers()
                }
            }
            timer.resume()
            hintTimer = timer
        }
    }
}

/// The app's two subscriptions to the session's events: the person's commands and their replies,
/// and everything else the screen shows. The publisher marks a reply as waiting (in the replies'
/// filter, on its own thread), so that the background loop steps aside for it between two events.
final class EventFeeds: Sendable {
    let replies: EventSubscription<SessionEvent, SessionEventKey>
    let background: EventSubscription<SessionEvent, SessionEventKey>
    /// Replies published and not yet taken by the replies' loop (the lock is `Locked`'s own).
    private let waiting: Locked<Int>

    init(_ hub: SessionEventHub) {
        let waiting = Locked(0)
        self.waiting = waiting
        replies = hub.subscribe(where: { event in
            guard InteractiveApp.answersThePerson(event) else { return false }
            waiting.withLock { $0 += 1 }
            return true
        })
        background = hub.subscribe(where: { InteractiveApp.shows($0) && !InteractiveApp.answersThePerson($0) })
    }

    /// True while a reply waits for the replies' loop.
    var replyWaiting: Bool { waiting.withLock { $0 > 0 } }

    /// The replies' loop took one.
    func replyTaken() { waiting.withLock { $0 = max(0, $0 - 1) } }

    func finish() {
        replies.finish()
        background.finish()
    }
}
