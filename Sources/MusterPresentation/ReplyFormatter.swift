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
        case .usageError(let message):
            return [TranscriptLine(message, style: .warning)]
        case .confirm, .unclearAnswer, .clearTranscript, .quit:
            return []
        }
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
            count == 1
                ? "1 background agent is running. Stop it and quit? (y/n)"
                : "\(count) background agents are running. Stop them and quit? (y/n)"
        }
    }

    /// What plain mode prints when a line answered neither yes nor no.
    public var reask: String { "Answer y or n. \(prompt)" }
}
