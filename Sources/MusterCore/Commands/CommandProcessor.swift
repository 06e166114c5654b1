/// Executes slash commands against a session's registry and says what happened as a
/// `CommandReply`. Internal to the session: front ends send `SessionOp`s.
///
/// It never touches the foreground turn, so every command works while a turn runs.
struct CommandProcessor: Sendable {
    private let registry: TaskRegistry
    /// Where background shells keep their output (`/tasks show` shows its tail).
    private let shells: BackgroundShells?
    private let parser = SlashCommandParser()
    /// The session's model calls so far, for `/tasks show` (nil: not shown).
    private let modelCalls: (@Sendable () -> RunResult.ModelCalls)?
    /// The session's approvals (`/tasks approve|deny`, `/allow`, `/permissions`).
    private let approvals: ApprovalGate

    /// A processor over `registry`; `modelCalls` reads the session's count.
    init(
        registry: TaskRegistry, shells: BackgroundShells? = nil, modelCalls: (@Sendable () -> RunResult.ModelCalls)? = nil,
        approvals: ApprovalGate = ApprovalGate(mode: .auto, canAsk: false)
    ) {
        self.registry = registry
        self.shells = shells
        self.modelCalls = modelCalls
        self.approvals = approvals
    }

    /// Parses and executes one typed line (which starts with `/`).
    func run(_ line: String) async -> CommandReply {
        switch parser.parse(line) {
        case .success(let command):
            return await execute(command)
        case .failure(let error):
            return .usageError(error.message)
        }
    }

    /// Executes a parsed command.
    func execute(_ command: SlashCommand) async -> CommandReply {
        switch command {
        case .help:
            return .help
        case .listTasks:
            return .taskList(await registry.snapshot())
        case .showTask(let id, let all):
            guard let task = await registry.snapshot(of: id) else { return .noSuchTask(id) }
            if task.kind == .shell, let shells {
                return .taskDetail(task, transcript: await Self.outputTranscript(of: id, in: shells), all: all, session: modelCalls?())
            }
            return .taskDetail(task, transcript: await registry.transcript(of: id) ?? AgentTranscript(), all: all, session: modelCalls?())
        case .stopTask(let id):
            return await stop(id)
        case .cancelAll:
            return await cancelAll()
        case .clear:
            return .clearTranscript
        case .sandbox:
            return .sandbox((shells?.configuration.sandbox ?? .off).status)
        case .quit:
            return await quit()
        case .sendMessage(let id, let text):
            switch await registry.sendMessage(text, to: id, from: .person) {
            case .queued(_, let ahead, let task):
                return .messageQueued(.init(id: id, name: task.name), ahead: ahead, paused: task.isPaused)
            case .refused(let task):
                return .messageRefused(task)
            case .notFound, .forbidden:
                return .noSuchTask(id)
            }
        case .pauseTask(let id):
            return reply(to: await registry.pause(id), id)
        case .resumeTask(let id):
            return reply(to: await registry.resume(id), id)
        case .pauseAll:
            let names = await taskNames()
            return .pausedAll(await registry.pauseAll().map { .init(id: $0, name: names[$0] ?? "agent") })
        case .approve(let id):
            return answerApproval(of: id, with: .once)
        case .deny(let id, let reason):
            return answerApproval(of: id, with: .deny(reason: reason))
        case .allow(let text):
            switch PermissionRule.parse(text) {
            case .success(let rule): return .allowed(rule, added: approvals.allow(rule))
            case .failure(let error): return .usageError(error.description)
            }
        case .permissions:
            return .permissions(mode: approvals.mode, rules: approvals.rules, pending: approvals.pending.map {
                .init(taskID: $0.agent.taskID, agent: $0.agent.name, subject: $0.subject.headline)
            })
        case .resumeAll:
            let names = await taskNames()
            let outcome = await registry.resumeAll()
            return .resumedAll(
                outcome.resumed.map { .init(id: $0, name: names[$0] ?? "agent") },
                refused: outcome.refused.map { .init(id: $0, name: names[$0] ?? "agent") },
                reason: outcome.refusal?.description
            )
        }
    }

    /// Answers the oldest call of task `id` that waits for approval.
    private func answerApproval(of id: TaskID, with answer: ApprovalAnswer) -> CommandReply {
        for request in approvals.pending where request.agent.taskID == id {
            // Answered or cancelled in between: the next one of the task, if any.
            if approvals.answer(request.id, with: answer) {
                return .approvalAnswered(.init(id: id, name: request.agent.name), subject: request.subject.headline, answer: answer)
            }
        }
        return .noApprovalPending(id)
    }

    private func taskNames() async -> [TaskID: String] {
        Dictionary(uniqueKeysWithValues: await registry.snapshot().map { ($0.id, $0.name) })
    }

    /// The reply to a pause or resume of one task.
    private func reply(to outcome: TaskRegistry.PauseOutcome, _ id: TaskID) -> CommandReply {
        switch outcome {
        case .paused(let task): .paused(.init(id: id, name: task.name), already: false)
        case .alreadyPaused(let task): .paused(.init(id: id, name: task.name), already: true)
        case .resumed(let task): .resumed(.init(id: id, name: task.name))
        case .notPaused(let task): .notPaused(task)
        case .notPausable(let task): .notPausable(task)
        case .refused(let refusal, let task): .resumeRefused(.init(id: id, name: task.name), reason: refusal.description)
        case .notFound: .noSuchTask(id)
        }
    }

    /// A background shell's output tail as the lines `/tasks show` prints (the newest kept lines).
    static func outputTranscript(of id: TaskID, in shells: BackgroundShells) async -> AgentTranscript {
        var transcript = AgentTranscript()
        guard let tail = await shells.tail(of: id, lines: AgentTranscript.defaultLimit - 1) else { return transcript }
        if let note = tail.note { transcript.append("[\(note)]") }
        for line in tail.lines { transcript.append(line) }
        return transcript
    }

    /// `/cancel all`: asks first, counting only tasks still running; says so when none runs.
    func cancelAll() async -> CommandReply {
        let running = await registry.snapshot().filter { !$0.status.isTerminal && $0.cancelRequested == nil }
        guard !running.isEmpty else { return .nothingRunning }
        return .confirm(ConfirmationRequest(.cancelAll, count: running.count))
    }

    /// `/quit` (or Ctrl-D): leaves at once when no background agent runs or is paused, else asks first.
    func quit() async -> CommandReply {
        let paused = await registry.snapshot().filter { $0.mode == .background && $0.isPaused }.count
        let running = await registry.runningBackgroundAgents + paused
        // A dev server started with `!cmd &` is work too: quitting stops it.
        let shells = await registry.runningBackgroundShells
        guard running > 0 || shells > 0 else { return .quit }
        return .confirm(ConfirmationRequest(.quit, count: running, shells: shells, approvals: approvals.pending.count))
    }

    /// Carries out (or drops) a confirmed action; `yes` is the person's answer.
    func answer(_ yes: Bool, to request: ConfirmationRequest) async -> CommandReply {
        guard yes else { return .declined(request.action) }
        switch request.action {
        case .quit:
            return .quit
        case .cancelAll:
            let before = await registry.snapshot()
            let names = Dictionary(uniqueKeysWithValues: before.map { ($0.id, $0.name) })
            let ids = await registry.cancelAll(source: .user)
            guard !ids.isEmpty else { return .nothingRunning }
            return .stoppingAll(ids.map { CommandReply.TaskName(id: $0, name: names[$0] ?? "task") })
        }
    }

    /// `/tasks stop <id>`: stops one task.
    func stop(_ id: TaskID) async -> CommandReply {
        let wasStopping = await registry.snapshot(of: id)?.cancelRequested != nil
        switch await registry.cancel(id, source: .user) {
        case .cancelling(let task):
            return .stopping(id, name: task.name, alreadyStopping: wasStopping)
        case .alreadyFinished(let task):
            return .alreadyFinished(task)
        case .notFound, .forbidden:
            return .noSuchTask(id)
        }
    }
}
