/// Executes slash commands against a session's registry; every front end shares it.
///
/// It never touches the foreground turn, so every command works while a turn runs.
public struct CommandProcessor: Sendable {
    private let registry: TaskRegistry
    /// The parser, with the tokenizer the front end chose.
    public let parser: SlashCommandParser
    private let helpFooter: [String]

    /// A processor for `session`; `helpFooter` adds front-end lines (keys) to `/help`.
    public init(session: Session, tokenizer: any CommandTokenizer = WhitespaceTokenizer(), helpFooter: [String] = []) {
        self.init(registry: session.registry, tokenizer: tokenizer, helpFooter: helpFooter)
    }

    /// A processor over a bare registry (tests, tools).
    public init(registry: TaskRegistry, tokenizer: any CommandTokenizer = WhitespaceTokenizer(), helpFooter: [String] = []) {
        self.registry = registry
        self.parser = SlashCommandParser(tokenizer: tokenizer)
        self.helpFooter = helpFooter
    }

    /// Parses and executes one typed line (which starts with `/`).
    public func run(_ line: String) async -> CommandResult {
        switch parser.parse(line) {
        case .success(let command):
            return await execute(command)
        case .failure(let error):
            return .line(error.message, style: .warning)
        }
    }

    /// Executes a parsed command.
    public func execute(_ command: SlashCommand) async -> CommandResult {
        switch command {
        case .help:
            return CommandResult(lines: helpLines())
        case .listTasks:
            return CommandResult(lines: TaskTable.lines(for: await registry.snapshot()))
        case .showTask(let id):
            guard let task = await registry.snapshot(of: id) else { return .line("No task \(id).", style: .warning) }
            return CommandResult(lines: TaskTable.detail(of: task))
        case .stopTask(let id):
            return await stop(id)
        case .cancelAll:
            let running = await registry.snapshot().filter { !$0.status.isTerminal && $0.cancelRequested == nil }
            guard !running.isEmpty else { return .line("No running tasks.") }
            let noun = running.count == 1 ? "task" : "tasks"
            let request = ConfirmationRequest(prompt: "Cancel \(running.count) running \(noun)? (y/n)", action: .cancelAll)
            return CommandResult(effect: .confirm(request))
        case .clear:
            return CommandResult(effect: .clearTranscript)
        case .quit:
            return await quit()
        }
    }

    /// `/quit` (or Ctrl-D): leaves at once when no background agent runs, else asks first.
    public func quit() async -> CommandResult {
        let running = await registry.runningBackgroundAgents
        guard running > 0 else { return CommandResult(effect: .quit) }
        let prompt = running == 1
            ? "1 background agent is running. Stop it and quit? (y/n)"
            : "\(running) background agents are running. Stop them and quit? (y/n)"
        return CommandResult(effect: .confirm(ConfirmationRequest(prompt: prompt, action: .quit)))
    }

    /// Carries out (or drops) a confirmed action; `yes` is the person's answer.
    public func answer(_ yes: Bool, to request: ConfirmationRequest) async -> CommandResult {
        switch request.action {
        case .quit:
            return yes ? CommandResult(effect: .quit) : .line("Nothing was stopped; Muster keeps running.")
        case .cancelAll:
            guard yes else { return .line("Nothing was cancelled.") }
            let before = await registry.snapshot()
            let names = Dictionary(uniqueKeysWithValues: before.map { ($0.id, $0.name) })
            let ids = await registry.cancelAll(source: .user)
            guard !ids.isEmpty else { return .line("No running tasks.") }
            let list = ids.map { "\($0) \(names[$0] ?? "task")" }.joined(separator: ", ")
            let noun = ids.count == 1 ? "task" : "tasks"
            return .line("Stopping \(ids.count) \(noun): \(list)…")
        }
    }

    private func stop(_ id: TaskID) async -> CommandResult {
        let wasStopping = await registry.snapshot(of: id)?.cancelRequested != nil
        switch await registry.cancel(id, source: .user) {
        case .cancelling(let task):
            if wasStopping { return .line("Task \(id) (\(task.name)) is already stopping…") }
            return .line("Stopping task \(id) (\(task.name))…")
        case .alreadyFinished(let task):
            return .line("Task \(id) already \(task.status.word).")
        case .notFound, .forbidden:
            return .line("No task \(id).", style: .warning)
        }
    }

    private func helpLines() -> [TranscriptLine] {
        let width = SlashCommandDescriptor.all.map { DisplayWidth.of($0.usage) }.max() ?? 0
        var lines = [TranscriptLine("Commands (all work while the agent is busy):", style: .heading)]
        for descriptor in SlashCommandDescriptor.all {
            lines.append(TranscriptLine("  \(DisplayWidth.pad(descriptor.usage, to: width))  \(descriptor.summary)"))
        }
        lines += helpFooter.map { TranscriptLine($0, style: .dim) }
        return lines
    }
}
