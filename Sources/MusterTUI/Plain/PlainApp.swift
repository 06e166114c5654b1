import Dispatch
import Foundation
import MusterCore

/// Line mode for pipes, dumb terminals and `--plain`: the same commands and messages as the
/// full-screen UI, printed line by line. Input is read off the cooperative pool, so agents
/// keep running while it waits; at end of input it lets the running turn finish, then exits.
enum PlainApp {
    static func run(session: Session, options: FrontEndOptions, startupMessages: [String]) async -> RunEnding {
        let subscription = session.events.subscribe()
        await session.start()
        let registry = session.registry
        let pill = PillState(
            cap: registry.maxBackgroundAgents,
            snapshots: await registry.snapshot(),
            pendingResults: await registry.pendingResultCount(for: .topLevel)
        )
        let interactive = isatty(STDIN_FILENO) != 0
        let terminalMode = TerminalModeGuard()
        // A closed stdout must end writes with an error, not kill the process.
        signal(SIGPIPE, SIG_IGN)
        let reader = LineReader(prompt: interactive && isatty(STDOUT_FILENO) != 0, historyFile: interactive ? options.resolvedHistoryFile : nil)
        // With a prompt, everything printed goes above it and the prompt is drawn again below.
        let console = reader.output.map { output in
            PlainConsole(pill: pill, echoInput: !interactive, taskIDsChanged: { output.taskIDs = $0 }) { output.write($0) }
        } ?? PlainConsole(pill: pill, echoInput: !interactive)
        await console.print(startupMessages.flatMap { TranscriptLine.lines("⚠ " + $0, style: .warning) })
        if interactive {
            await console.print([TranscriptLine("Muster (plain mode) · \(session.runtime.workspace.path) · /help lists commands")])
            if let introduction = session.runtime.model.introduction {
                await console.print([TranscriptLine(introduction, style: .dim)])
            }
        }

        let processor = CommandProcessor(session: session, tokenizer: LibeditTokenizer(), helpFooter: FrontEnd.plainKeyHelp)
        // SIGTERM and SIGHUP end the session, arm the hard deadline, and a second one exits at
        // once; SIGINT is the person's Ctrl-C, handled by `watch`.
        let (signalEvents, signalContinuation) = AsyncStream<SignalEvent>.makeStream()
        let deadline = ExitDeadline { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        let signals = SignalSource(stopping: [SIGTERM, SIGHUP], watching: [SIGINT], deadline: deadline) {
            signalContinuation.yield($0)
        }

        async let printing: Void = {
            for await event in subscription { await console.handle(event) }
            await console.flush()
        }()

        let (ending, report) = await withTaskGroup(of: RunEnding.self) { group in
            group.addTask {
                await readInput(reader.lines, session: session, processor: processor, console: console, onSlashCommand: options.onSlashCommand)
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
        await console.write(clearPrompt + ExitSummary.line(for: report, killed: ToolProcessRegistry.shared.killLeftovers()) + "\n")
        return ending
    }

    /// Handles each line: commands, answers to a question, or input for the main agent.
    private static func readInput(
        _ lines: AsyncStream<InputLine>, session: Session, processor: CommandProcessor, console: PlainConsole,
        onSlashCommand: (@Sendable (String) -> Void)?
    ) async -> RunEnding {
        var question: ConfirmationRequest?
        for await input in lines {
            let line: String
            switch input {
            case .text(let text):
                line = text
            case .tooLong(let bytes):
                await console.print([TranscriptLine("⚠ " + InputLine.tooLongMessage(bytes: bytes), style: .warning)])
                continue
            }
            if let request = question {
                guard let yes = ConfirmationRequest.interpret(line) else {
                    await console.write("Answer y or n. \(request.prompt)\n")
                    continue
                }
                question = nil
                let result = await processor.answer(yes, to: request)
                await console.print(result.lines)
                if result.effect == .quit { return .quit }
                continue
            }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            guard SlashCommandParser.isCommand(trimmed) else {
                await session.submit(line)
                continue
            }
            await console.echo(trimmed)
            onSlashCommand?(trimmed)
            let result = await processor.run(trimmed)
            await console.print(result.lines)
            switch result.effect {
            case .quit:
                return .quit
            case .confirm(let request):
                question = request
                await console.write(request.prompt + "\n")
            case .clearTranscript, nil:
                break
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
            if await session.interruptTurn() {
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
