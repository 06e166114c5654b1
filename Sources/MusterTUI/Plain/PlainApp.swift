import Dispatch
import Foundation
import MusterCore
import MusterPresentation

/// Line mode for pipes, dumb terminals and `--plain`: the same commands and messages as the
/// full-screen UI, printed line by line. Input is read off the cooperative pool, so agents
/// keep running while it waits; at end of input it lets the running turn finish, then exits.
enum PlainApp {
    static func run(session: Session, options: FrontEndOptions, startupMessages: [String]) async -> RunEnding {
        let subscription = session.events.subscribe()
        await session.start()
        let pill = PillState(await session.overview())
        let interactive = isatty(STDIN_FILENO) != 0
        let terminalMode = TerminalModeGuard()
        // A closed stdout must end writes with an error, not kill the process.
        signal(SIGPIPE, SIG_IGN)
        let reader = LineReader(prompt: interactive && isatty(STDOUT_FILENO) != 0, historyFile: interactive ? options.resolvedHistoryFile : nil)
        // With a prompt, everything printed goes above it and the prompt is drawn again below.
        let console = reader.output.map { output in
            PlainConsole(pill: pill, echoInput: !interactive, taskIDsChanged: { output.taskIDs = $0 }) { output.write($0) }
        } ?? PlainConsole(pill: pill, echoInput: !interactive)
        await console.print(options.restoredTranscript)
        await console.print(startupMessages.flatMap { TranscriptLine.lines("⚠ " + $0, style: .warning) })
        if interactive {
            await console.print([TranscriptLine("Muster (plain mode) · \(session.runtime.workspace.path) · /help lists commands")])
            if let introduction = session.runtime.model.introduction {
                await console.print([TranscriptLine(introduction, style: .dim)])
            }
        }

        // SIGTERM and SIGHUP end the session, arm the hard deadline, and a second one exits at
        // once; SIGINT is the person's Ctrl-C, handled by `watch`.
        let (signalEvents, signalContinuation) = AsyncStream<SignalEvent>.makeStream()
        let deadline = ExitDeadline { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        let signals = SignalSource(stopping: [SIGTERM, SIGHUP], watching: [SIGINT], deadline: deadline) {
            signalContinuation.yield($0)
        }

        // A `quit` reply ends the run; it is printed first, like every event.
        let (quits, quit) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        async let printing: Void = {
            for await event in subscription {
                await console.handle(event)
                if case .reply(.quit) = event { quit.yield() }
            }
            await console.flush()
            quit.finish()
        }()

        let (ending, report) = await withTaskGroup(of: RunEnding.self) { group in
            group.addTask { await readInput(reader.lines, session: session, console: console) }
            group.addTask {
                // Ends without a quit only when cancelled, or after the session closed.
                for await _ in quits { return .quit }
                return .quit
            }
            group.addTask { await watch(signalEvents, session: session, console: console) }
            let first = await group.next() ?? .quit
            group.cancelAll()
            await console.hidePill()
            // Also ends a wait for the running turn at end of input.
            let report = await session.shutdown()
            return (first, report)
        }
        await printing
        reader.output?.finish()
        signals.cancel()
        signalContinuation.finish()
        terminalMode.restore()
        // The reader thread may have drawn its next prompt after the output stopped routing
        // around it (libedit prints it unlocked): start the summary on a cleared line.
        let clearPrompt = reader.output == nil ? "" : "\r\u{1B}[K"
        // Its own line: the summary stays the same with or without a log.
        let note = options.sessionNote.map { "\n" + $0 } ?? ""
        await console.write(clearPrompt + ExitSummary.line(for: report, killed: ToolProcessRegistry.shared.killLeftovers()) + note + "\n")
        return ending
    }

    /// Sends each line to the session (a command, the answer to its question, or input for
    /// the main agent: the session tells them apart); what comes of it is printed from the events.
    private static func readInput(_ lines: AsyncStream<InputLine>, session: Session, console: PlainConsole) async -> RunEnding {
        for await input in lines {
            switch input {
            case .text(let line):
                if let approval = await console.approvalAnswer(to: line) {
                    if let answer = approval.answer { await session.send(.answerApproval(id: approval.id, answer)) }
                    continue
                }
                await session.send(.submit(line))
            case .tooLong(let bytes):
                await console.print([TranscriptLine("⚠ " + InputLine.tooLongMessage(bytes: bytes), style: .warning)])
            }
        }
        if Task.isCancelled { return .quit }
        // End of input: let the running turn (and anything queued) finish, then leave.
        await session.waitUntilIdle()
        return .quit
    }

    /// Ctrl-C interrupts the turn, or quits when pressed twice within a second at an idle prompt.
    private static func watch(_ signals: AsyncStream<SignalEvent>, session: Session, console: PlainConsole) async -> RunEnding {
        var lastIdleInterrupt: ContinuousClock.Instant?
        for await event in signals {
            switch event {
            case .stop(let ending), .stopNow(let ending): return ending
            case .signal(SIGINT): break
            case .signal: continue
            }
            if await console.turnRunning {
                await session.send(.interrupt)
                lastIdleInterrupt = nil
                continue
            }
            let now = ContinuousClock.now
            if let last = lastIdleInterrupt, last.duration(to: now) <= InteractiveState.doubleInterruptWindow {
                return .interrupted
            }
            lastIdleInterrupt = now
            await console.print([TranscriptLine("Press Ctrl-C again to quit.", style: .warning)])
        }
        return .quit
    }
}
