import MusterCore
/// Words a command's reply for the transcript: the same in every front end, except the key
/// lines `/help` ends with.
public enum ReplyFormatter {
    /// The transcript lines of `reply`; `helpFooter` are the front end's key lines for `/help`.
    /// A question and `clearTranscript`/`quit` add no lines: the front end acts on them.
    public static func lines(for reply: CommandReply, helpFooter: [String] = []) -> [TranscriptLine] {
        switch reply {
        case .help:
            return helpLines(footer: helpFooter)
        case .taskList(let tasks):
            return TaskTable.lines(for: tasks)
        case .taskDetail(let task, let transcript, let all, let session):
            return TaskTable.detail(of: task, transcript: transcript, all: all, session: session)
        case .stopping(let id, let name, let alreadyStopping):
            return [notice(alreadyStopping ? "Task \(id) (\(name)) is already stopping…" : "Stopping task \(id) (\(name))…")]
        case .alreadyFinished(let task):
            return [notice("Task \(task.id) already \(task.status.word).")]
        case .noSuchTask(let id):
            return [TranscriptLine("No task \(id).", style: .warning)]
        case .stoppingAll(let tasks):
            let list = tasks.map { "\($0.id) \($0.name)" }.joined(separator: ", ")
            let noun = tasks.count == 1 ? "task" : "tasks"
            return [notice("Stopping \(tasks.count) \(noun): \(list)…")]
        case .nothingRunning:
            return [notice("No running tasks.")]
        case .declined(.quit):
            return [notice("Nothing was stopped; Muster keeps running.")]
        case .declined(.cancelAll):
            return [notice("Nothing was cancelled.")]
        case .messageQueued(let task, let ahead, let paused):
            let then = paused ? " It is paused: it reads it when resumed." : ""
            return [notice("Message queued for \(task.id) (\(task.name)), \(ahead) ahead.\(then)")]
        case .messageRefused(let task):
            return [TranscriptLine("Task \(task.id) (\(task.name)) is \(task.statusWord): message not sent.", style: .warning)]
        case .paused(let task, let already):
            return [notice(already ? "Task \(task.id) (\(task.name)) is already paused." : "Paused task \(task.id) (\(task.name)). /tasks resume \(task.id) goes on.")]
        case .notPausable(let task):
            let why = task.kind == .agent ? "is \(task.statusWord)" : "is not an agent"
            return [TranscriptLine("Task \(task.id) (\(task.name)) \(why): it cannot be paused.", style: .warning)]
        case .resumed(let task):
            return [notice("Resumed task \(task.id) (\(task.name)).")]
        case .notPaused(let task):
            return [notice("Task \(task.id) (\(task.name)) is not paused (\(task.statusWord)).")]
        case .resumeRefused(let task, let reason):
            return [TranscriptLine("Task \(task.id) (\(task.name)) stays paused. \(reason)", style: .warning)]
        case .pausedAll(let tasks):
            guard !tasks.isEmpty else { return [notice("No running agents to pause.")] }
            return [notice("Paused \(tasks.count) \(tasks.count == 1 ? "agent" : "agents"): \(Self.list(tasks)). /tasks resume all goes on.")]
        case .resumedAll(let resumed, let refused, let reason):
            guard !resumed.isEmpty || !refused.isEmpty else { return [notice("No paused agents.")] }
            var lines: [TranscriptLine] = []
            if !resumed.isEmpty { lines.append(notice("Resumed \(resumed.count) \(resumed.count == 1 ? "agent" : "agents"): \(Self.list(resumed)).")) }
            if !refused.isEmpty {
                lines.append(TranscriptLine("Still paused: \(Self.list(refused)).\(reason.map { " " + $0 } ?? "")", style: .warning))
            }
            return lines
        case .usageError(let message):
            return [TranscriptLine(message, style: .warning)]
        case .movedToBackground(let id, let name):
            return [notice("Moved \"\(TerminalSanitizer.sanitize(name))\" to the background as task \(id); its result arrives when it finishes.")]
        case .nothingToMoveToBackground:
            return [notice("Nothing running in the foreground can be moved to the background.")]
        case .approvalAnswered(let task, let subject, let answer):
            let shown = TerminalSanitizer.sanitize(TaskTable.oneLine(subject))
            let name = TerminalSanitizer.sanitize(task.name)
            return [notice("\(ApprovalText.verdict(answer)) for \(task.id) \(name): \(shown)")]
        case .noApprovalPending(let id):
            return [TranscriptLine("Task \(id) has no call waiting for approval.", style: .warning)]
        case .allowed(let rule, let added):
            let shown = TerminalSanitizer.sanitize(TaskTable.oneLine(rule.description))
            return [notice(added ? "Allowed for this session: \(shown)" : "Already allowed: \(shown)")]
        case .permissions(let mode, let rules, let pending):
            var lines = [TranscriptLine("Permission mode: \(mode.rawValue)", style: .heading)]
            lines.append(TranscriptLine(rules.isEmpty ? "  No standing rules (/allow adds one)." : "  Allowed without asking:"))
            lines += rules.map { TranscriptLine("    " + TerminalSanitizer.sanitize(TaskTable.oneLine($0.description))) }
            if !pending.isEmpty {
                lines.append(TranscriptLine("  Waiting for approval:", style: .warning))
                lines += pending.map { waiting in
                    let who = waiting.taskID.map { "\($0) " } ?? ""
                    return TranscriptLine("    \(who)\(TerminalSanitizer.sanitize(waiting.agent)): \(TerminalSanitizer.sanitize(TaskTable.oneLine(waiting.subject)))")
                }
            }
            return lines
        case .shellStarted(let id, let command):
            let shown = TerminalSanitizer.sanitize(TaskTable.oneLine(command))
            return [TranscriptLine("  → shell \"\(shown)\" started in the background (task \(id)); /tasks show \(id.rawValue) shows its output.", style: .tool)]
        case .sandbox(let status):
            var lines = [notice("Sandbox: \(status.summary). \(TerminalSanitizer.sanitize(status.confines).prefix(1).uppercased() + TerminalSanitizer.sanitize(status.confines).dropFirst())\(status.network ? "" : "; TCP connect and bind are denied").")]
            if let note = status.note { lines.append(TranscriptLine("Note: \(TerminalSanitizer.sanitize(note)).", style: .warning)) }
            if status.mode != .off { lines.append(notice("Start Muster with --sandbox off to let commands write anywhere, --sandbox-network off to deny TCP.")) }
            return lines
        case .confirm, .unclearAnswer, .clearTranscript, .quit:
            return []
        }
    }

    private static func list(_ tasks: [CommandReply.TaskName]) -> String {
        tasks.map { "\($0.id) \($0.name)" }.joined(separator: ", ")
    }

    private static func notice(_ text: String) -> TranscriptLine {
        TranscriptLine(text, style: .notice)
    }

    private static func helpLines(footer: [String]) -> [TranscriptLine] {
        let width = SlashCommandDescriptor.all.map { DisplayWidth.of($0.usage) }.max() ?? 0
        var lines = [TranscriptLine("Commands (all work while the agent is busy):", style: .heading)]
        for descriptor in SlashCommandDescriptor.all {
            lines.append(TranscriptLine("  \(DisplayWidth.pad(descriptor.usage, to: width))  \(descriptor.summary)"))
        }
        lines += footer.map { TranscriptLine($0, style: .dim) }
        return lines
    }
}

extension ConfirmationRequest {
    /// The question, ending in `(y/n)`: `Cancel 3 running tasks? (y/n)`.
    public var prompt: String {
        switch action {
        case .cancelAll:
            "Cancel \(count) running \(count == 1 ? "task" : "tasks")? (y/n)"
        case .quit:
            quitPrompt
        }
    }

    /// `2 background agents are running. Stop them and quit? (y/n)`; shells are named beside
    /// agents: `1 background agent and 2 background shells are running. …`.
    private var quitPrompt: String {
        var parts: [String] = []
        if count > 0 { parts.append(count == 1 ? "1 background agent" : "\(count) background agents") }
        if shells > 0 { parts.append(shells == 1 ? "1 background shell" : "\(shells) background shells") }
        let one = count + shells == 1
        let waiting = approvals == 0 ? "" : approvals == 1 ? " (1 call waits for your approval)" : " (\(approvals) calls wait for your approval)"
        return "\(parts.joined(separator: " and ")) \(one ? "is" : "are") running\(waiting). Stop \(one ? "it" : "them") and quit? (y/n)"
    }

    /// What plain mode prints when a line answered neither yes nor no.
    public var reask: String { "Answer y or n. \(prompt)" }
}
