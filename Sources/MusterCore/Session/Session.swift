import DequeModule
import Logging

/// One conversation with the main agent: owns the running turn's `Task`, queues input
/// that arrives while a turn runs, and starts a turn by itself when background results
/// arrive while the agent is idle: after a settle window, so that results arriving close
/// together are answered together, and never for results of tasks the person stopped.
public actor Session {
    /// Tunables of a session.
    public struct Configuration: Sendable {
        /// Start a turn automatically when background results arrive while idle.
        public var continueOnBackgroundResults: Bool
        /// How results reach the main agent once it has answered: all together, or one per model call.
        public var delivery: ResultDelivery
        /// How long the idle main agent waits after the latest result for more before its turn.
        public var settleWindow: Duration
        /// The longest wait after the first result of a batch, however many more keep arriving.
        public var settleLimit: Duration
        /// Results start no turn while any task is active: the main agent gets them all in one
        /// turn when the background work has ended (headless `--summarize final`).
        public var waitForAllBackgroundWork: Bool

        public init(
            continueOnBackgroundResults: Bool = true,
            delivery: ResultDelivery = .batched,
            settleWindow: Duration = .milliseconds(500),
            settleLimit: Duration = .seconds(5),
            waitForAllBackgroundWork: Bool = false
        ) {
            self.continueOnBackgroundResults = continueOnBackgroundResults
            self.delivery = delivery
            self.settleWindow = settleWindow
            self.settleLimit = settleLimit
            self.waitForAllBackgroundWork = waitForAllBackgroundWork
        }
    }

    private enum TurnState {
        case idle
        case running(turn: Int, task: Task<Void, Never>)
    }

    /// The engine the session drives.
    public nonisolated let runtime: AgentRuntime
    private let configuration: Configuration
    private var conversation: [ChatMessage]
    private var state = TurnState.idle
    private var queue = Deque<QueuedTurn>()
    /// The `!` command the running turn waits for, once its task exists.
    private var foregroundShell: (turn: Int, id: TaskID)?
    /// Turns whose `!` command was moved to the background (Ctrl+B).
    private var movedTurns: Set<Int> = []
    private var turnCount = 0
    /// How much of `conversation` the log has (`conversation` records), for the next turn to go on from.
    private var persistedMain = 0
    private var resultWatcher: Task<Void, Never>?
    /// The settle window running for results that arrived while the agent was idle.
    private var settling: Task<Void, Never>?
    /// When the settle window began, and when the latest result arrived (on `timeline`).
    private var settleBegan = Duration.zero
    private var latestArrival = Duration.zero
    private let timeline: Timeline
    /// Fired when the session goes idle (no turn runs, none queued); replaced by the next turn.
    private var idle = OneShotSignal()
    private var isClosed = false
    private let commands: CommandProcessor
    /// The question a command asked and nobody has answered yet.
    private var pendingQuestion: ConfirmationRequest?
    /// A `quit` reply went out: the front end is ending the session; no more operations.
    private var hasQuit = false
    /// Results restored from an earlier session wait for the main agent: `start` lets them in.
    private var restoredResultsWait = false

    public init(runtime: AgentRuntime, configuration: Configuration = Configuration()) {
        self.runtime = runtime
        self.configuration = configuration
        self.commands = CommandProcessor(
            registry: runtime.registry, shells: runtime.backgroundShells, modelCalls: { [runtime] in runtime.modelCalls },
            approvals: runtime.approvals
        )
        self.conversation = [.system(runtime.systemPrompt(for: "main"))]
        self.timeline = Timeline(clock: runtime.clock)
    }

    /// The session's event bus (subscribe before submitting to see everything).
    public nonisolated var events: SessionEventHub { runtime.events }
    /// The task registry behind the session.
    public nonisolated var registry: TaskRegistry { runtime.registry }

    /// Starts watching the event bus for background results waiting for the main agent (the
    /// registry publishes its transitions there); call once before use.
    public func start() {
        guard resultWatcher == nil, !isClosed else { return }
        // Only inbox counts reach the watcher: it is not woken for every line of the bus.
        // With `waitForAllBackgroundWork`, every task's end too: the last one may leave results
        // waiting (its own came earlier) and nothing else would wake the agent.
        let endsMatter = configuration.waitForAllBackgroundWork
        let subscription = runtime.events.subscribe(where: { event in
            switch event {
            case .task(.resultsWaiting(.topLevel, _)): true
            case .task(.finished): endsMatter
            default: false
            }
        })
        // Results restored before the watcher existed (`restore`) start their turn now.
        if restoredResultsWait { backgroundResultsArrived() }
        resultWatcher = Task { [weak self] in
            for await event in subscription {
                switch event {
                case .task(.resultsWaiting(.topLevel, let count)) where count > 0:
                    await self?.backgroundResultsArrived()
                case .task(.finished):
                    await self?.taskEnded()
                default:
                    break
                }
            }
        }
    }

    /// Resuming an earlier session (call before `start`): the main agent goes on from
    /// `conversation`, which goes into this session's log at once (so a later restart finds it);
    /// `resultsWaiting`: restored results wait in its inbox, and `start` lets them in as if they
    /// had just arrived.
    public func restore(conversation messages: [ChatMessage], resultsWaiting: Bool) {
        guard !isClosed, case .idle = state else { return }
        if !messages.isEmpty {
            conversation = messages
            runtime.events.publish(.conversation(ConversationRecord(agent: .main, from: 0, messages: messages)))
            persistedMain = messages.count
        }
        restoredResultsWait = resultsWaiting
    }

    // MARK: Operations

    /// Carries out one of the person's operations; everything it produces is published on
    /// `events` before this returns (see `SessionOp` for what each one publishes). Operations
    /// sent after the session closed, or after a `quit` reply, are ignored.
    public func send(_ op: SessionOp) async {
        guard !isClosed, !hasQuit else { return }
        switch op {
        case .submit(let line):
            await take(line)
        case .prompt(let text):
            submit(text)
        case .cancelTask(let id):
            reply(await commands.stop(id))
        case .cancelAll:
            reply(await commands.cancelAll())
        case .sendMessage(let id, let text):
            reply(await commands.execute(.sendMessage(id, text)))
        case .pauseTask(let id):
            reply(await commands.execute(.pauseTask(id)))
        case .resumeTask(let id):
            reply(await commands.execute(.resumeTask(id)))
        case .pauseAll:
            reply(await commands.execute(.pauseAll))
        case .resumeAll:
            reply(await commands.execute(.resumeAll))
        case .answer(let yes):
            guard let question = pendingQuestion else { return }
            pendingQuestion = nil
            reply(await commands.answer(yes, to: question))
        case .answerApproval(let id, let answer):
            runtime.approvals.answer(id, with: answer)
        case .interrupt:
            interruptTurn()
        case .moveToBackground:
            await moveToBackground()
        case .quit:
            reply(await commands.quit())
        }
    }

    /// A typed line: the answer to a waiting question, a slash command, or input for the agent.
    private func take(_ line: String) async {
        if let question = pendingQuestion {
            guard let yes = ConfirmationRequest.interpret(line) else {
                reply(.unclearAnswer(question))
                return
            }
            pendingQuestion = nil
            reply(await commands.answer(yes, to: question))
            return
        }
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return }
        if trimmed.hasPrefix("!") {
            await takeShellCommand(String(trimmed.dropFirst()))
            return
        }
        guard SlashCommandParser.isCommand(trimmed) else {
            submit(line)
            return
        }
        runtime.events.publish(.slashCommand(command: trimmed))
        reply(await commands.run(trimmed))
    }

    /// `!COMMAND`: runs in the workspace without asking the model, as a turn of its own (its
    /// output shown as a call of the `shell` tool, Esc stops it), and its result goes into the
    /// main agent's conversation as the person's own. `!COMMAND &` starts a background shell
    /// task of the person's at once. A bare `!` is a usage message.
    private func takeShellCommand(_ text: String) async {
        var command = text.trimmingCharacters(in: .whitespaces)
        let background = command.hasSuffix("&") && !command.hasSuffix("&&") && !command.hasSuffix("\\&")
        if background { command = String(command.dropLast()).trimmingCharacters(in: .whitespaces) }
        guard !command.isEmpty else {
            reply(.usageError(ShellCommandLine.usage))
            return
        }
        guard background else {
            queue.append(.shell(command))
            startNextTurnIfIdle()
            return
        }
        runtime.events.publish(.slashCommand(command: "!" + text.trimmingCharacters(in: .whitespaces)))
        do {
            let id = try await runtime.backgroundShells.start(
                command: command, spawner: .topLevel, registry: runtime.registry, workspace: runtime.workspace
            )
            reply(.shellStarted(id, command: command))
        } catch {
            reply(.usageError(error.description))
        }
    }

    /// Publishes a command's reply and keeps what it means for the next operations.
    private func reply(_ reply: CommandReply) {
        switch reply {
        case .confirm(let question): pendingQuestion = question
        case .quit: hasQuit = true
        default: break
        }
        runtime.events.publish(.reply(reply))
    }

    /// The tasks at this moment: for a front end's first screen (the pill) and the headless
    /// runner's check that nothing is left to happen. Read-only; changes come as events.
    public func overview() async -> SessionOverview {
        let registry = runtime.registry
        let tasks = await registry.snapshot()
        let activeTasks = await registry.activeTasks
        let pendingResults = await registry.pendingResultCount(for: .topLevel)
        // Read last, on the actor: a turn started for results drains them in its own task, so
        // results gone from the registry mean a turn still running here (see `turnPending`).
        let turnPending: Bool = if case .running = state { true } else { !queue.isEmpty }
        return SessionOverview(
            maxBackgroundAgents: registry.maxBackgroundAgents, tasks: tasks, activeTasks: activeTasks,
            pendingResults: pendingResults, turnPending: turnPending
        )
    }

    /// A task's transcript as kept now (nil for an unknown id): read-only, for a front end that
    /// shows a task's work live (the task dialog's detail); changes come as events.
    public func transcript(of id: TaskID) async -> AgentTranscript? {
        await runtime.registry.transcript(of: id)
    }

    /// After `shutdown`: the finished results no agent took (cancelled at shutdown, or finished
    /// after the last turn), each handed out once.
    public func takeUndeliveredResults() async -> [TaskResult] {
        await runtime.registry.drainResults(for: .topLevel)
    }

    /// Takes the person's input: starts a turn, or queues it behind the running one (its
    /// `userInput` event comes when its turn starts).
    private func submit(_ text: String) {
        guard !isClosed else { return }
        queue.append(.trigger(.input(text)))
        startNextTurnIfIdle()
    }

    /// Cancels the running foreground turn (background agents keep running); false when idle.
    @discardableResult
    private func interruptTurn() -> Bool {
        guard case .running(_, let task) = state else { return false }
        task.cancel()
        return true
    }

    /// True while a main-agent turn runs.
    public var isTurnRunning: Bool {
        if case .running = state { true } else { false }
    }

    /// Inputs waiting behind the running turn.
    public var queuedInputs: Int { queue.count }

    /// Returns when no turn runs and nothing is queued, or when the caller is cancelled.
    public func waitUntilIdle() async {
        if case .idle = state, queue.isEmpty { return }
        await idle.wait()
    }

    /// Stops everything: the turn, every task (up to the grace period), and the result watcher.
    public func shutdown(grace: Duration? = nil) async -> TaskRegistry.ShutdownReport {
        isClosed = true
        queue.removeAll()
        if case .running(_, let task) = state {
            task.cancel()
            await task.value
        }
        settling?.cancel()
        await settling?.value
        settling = nil
        let report = await runtime.registry.shutdown(grace: grace)
        // Every task's end is on the bus: ending it ends the watcher after the last event.
        runtime.events.finish()
        await resultWatcher?.value
        resultWatcher = nil
        idle.fire()
        return report
    }

    // MARK: Turns

    /// Results arrived: a turn follows when the settle window closes (a running turn may take
    /// them first).
    private func backgroundResultsArrived() {
        guard configuration.continueOnBackgroundResults, !isClosed else { return }
        latestArrival = timeline.now
        guard settling == nil else { return }
        settleBegan = latestArrival
        let clock = runtime.clock
        settling = Task { [weak self] in
            while let wait = await self?.settleWaitLeft() {
                do { try await clock.sleep(for: wait) } catch { return }
            }
            await self?.settled()
        }
    }

    /// A task ended (`waitForAllBackgroundWork` only): results already waiting may now be due.
    private func taskEnded() async {
        guard settling == nil, case .idle = state, await runtime.registry.pendingResultCount(for: .topLevel) > 0 else { return }
        backgroundResultsArrived()
    }

    /// How much longer the settle window stays open; nil when it has closed: `settleWindow`
    /// after the latest arrival, and never later than `settleLimit` after the first.
    private func settleWaitLeft() -> Duration? {
        let closes = min(latestArrival + configuration.settleWindow, settleBegan + configuration.settleLimit)
        let left = closes - timeline.now
        return left > .zero ? left : nil
    }

    /// The settle window closed: the results waiting then start a turn (queued behind a running one).
    private func settled() async {
        settling = nil
        guard !isClosed else { return }
        // `--summarize final`: one turn for everything, once no background work is left.
        // Paused agents (restored ones, left paused) are not work under way: they wait for the person.
        if configuration.waitForAllBackgroundWork, await runtime.registry.activeTasks > 0,
           await runtime.registry.snapshot().contains(where: { !$0.isTerminal && !$0.isPaused }) { return }
        if !queue.contains(.trigger(.backgroundResults)) { queue.append(.trigger(.backgroundResults)) }
        startNextTurnIfIdle()
    }

    private func startNextTurnIfIdle() {
        guard case .idle = state, !isClosed else { return }
        guard let next = queue.popFirst() else {
            idle.fire()
            idle = OneShotSignal()
            return
        }
        turnCount += 1
        let turn = turnCount
        let trigger: TurnTrigger
        switch next {
        case .trigger(let queued):
            trigger = queued
        case .shell(let command):
            startShellTurn(turn, command: command)
            return
        }
        if case .input(let text) = trigger {
            conversation.append(.user(text))
            // Published when its turn starts, not when queued: the message then never lands
            // in the middle of the answer being streamed.
            runtime.events.publish(.userInput(text: text))
        }
        let history = conversation
        let runtime = self.runtime
        let delivery = configuration.delivery
        let persistedFrom = persistedMain
        let task = Task { [weak self] in
            var transcript = history
            // The turn before may already have taken the results that queued this one; results
            // of tasks the person stopped go into the conversation, for the next turn to see.
            if trigger == .backgroundResults {
                let wakes = delivery == .each
                    ? await runtime.registry.pendingResultCount(for: .topLevel) > 0
                    : await runtime.deliverResults(toMainAgent: &transcript)
                guard wakes else {
                    await self?.finishTurn(turn, transcript: transcript, outcome: nil)
                    return
                }
            }
            runtime.events.publish(.turnStart(turn: turn, trigger: trigger))
            let outcome: TurnOutcome
            do {
                let answers = try await runtime.runAnswering(
                    agent: .main, conversation: &transcript, resultsFirst: trigger == .backgroundResults, delivery: delivery,
                    persistedFrom: persistedFrom
                )
                // One answer per background result it took: the turn's text holds them all.
                outcome = .completed(text: answers.filter { !$0.isEmpty }.joined(separator: "\n\n"))
            } catch is CancellationError {
                outcome = .cancelled
            } catch {
                outcome = Task.isCancelled ? .cancelled : .failed(error: TaskRegistry.describe(error))
            }
            await self?.finishTurn(turn, transcript: transcript, outcome: outcome)
        }
        state = .running(turn: turn, task: task)
    }

    /// A `!COMMAND` turn: the command runs for the person (no model call) as a foreground task
    /// of kind `shell`, its lines shown as they come; what it printed joins the conversation as
    /// the person's own message. Esc stops it; Ctrl+B (`moveToBackground`) lets it go on alone.
    private func startShellTurn(_ turn: Int, command: String) {
        let line = "!" + command
        runtime.events.publish(.userInput(text: line))
        runtime.events.publish(.turnStart(turn: turn, trigger: .input(line)))
        var transcript = conversation
        let runtime = self.runtime
        let task = Task { [weak self] in
            let session = self
            let run = await ShellCommandLine.runInForeground(command, callID: "user_shell_\(turn)", runtime: runtime) { id in
                await session?.foregroundShellStarted(id, turn: turn)
            } wasMoved: {
                await session?.wasMovedToBackground(turn) ?? false
            }
            transcript.append(.user(ShellCommandLine.contextMessage(command: command, output: run.output, interrupted: run.interrupted)))
            await self?.finishTurn(turn, transcript: transcript, outcome: run.interrupted ? .cancelled : .completed(text: ""), interrupted: false)
        }
        state = .running(turn: turn, task: task)
    }

    private func foregroundShellStarted(_ id: TaskID, turn: Int) {
        guard case .running(let current, _) = state, current == turn else { return }
        foregroundShell = (turn, id)
    }

    private func wasMovedToBackground(_ turn: Int) -> Bool {
        movedTurns.contains(turn)
    }

    /// Ctrl+B: the running `!` command, or else the main agent's newest foreground sub-agent,
    /// goes on as a background task; whoever waited for it gets the answer at once and goes on.
    private func moveToBackground() async {
        guard case .running(let turn, _) = state, !movedTurns.contains(turn) else {
            reply(.nothingToMoveToBackground)
            return
        }
        let candidate: TaskID?
        if let shell = foregroundShell, shell.turn == turn {
            candidate = shell.id
        } else {
            candidate = await runtime.registry.snapshot().last {
                $0.mode == .foreground && $0.spawner == .topLevel && !$0.isTerminal && !$0.isStopping
            }?.id
        }
        guard let candidate else {
            reply(.nothingToMoveToBackground)
            return
        }
        switch await runtime.registry.moveToBackground(candidate) {
        case .moved(let snapshot):
            if foregroundShell?.id == candidate { movedTurns.insert(turn) }
            reply(.movedToBackground(snapshot.id, name: snapshot.name))
        case .notMovable:
            reply(.nothingToMoveToBackground)
        case .refused(let reason):
            reply(.usageError(reason.description))
        }
    }

    /// Records a turn's end; `outcome` is nil for a turn that found nothing to do.
    private func finishTurn(_ turn: Int, transcript: [ChatMessage], outcome: TurnOutcome?, interrupted: Bool = true) {
        guard case .running(let current, _) = state, current == turn else { return }
        foregroundShell = nil
        movedTurns.remove(turn)
        conversation = transcript
        // A turn that ran the agent wrote all of `transcript` to the log as it ended.
        if outcome != nil { persistedMain = transcript.count }
        if outcome == .cancelled, interrupted {
            // Leave the conversation valid for the next model call.
            conversation.append(.user("[The person interrupted the previous turn.]"))
        }
        state = .idle
        if let outcome { runtime.events.publish(.turnEnd(turn: turn, outcome: outcome)) }
        // Results that arrived during the turn were drained by it; newer ones start a turn.
        startNextTurnIfIdle()
    }
}


/// What waits for the main agent's turn: a trigger of a model turn, or a `!COMMAND`.
private enum QueuedTurn: Equatable {
    case trigger(TurnTrigger)
    case shell(String)
}
