import MusterCore
/// Formats tasks for people: the `/tasks` table and the `/tasks show` detail.
public enum TaskTable {
    /// Finished tasks listed under the running ones.
    public static let recentFinishedLimit = 10
    /// Longest name shown in the table before it is cut.
    static let nameWidth = 20
    /// Longest activity text, before the screen edge cuts it anyway.
    static let activityWidth = 120

    /// The `/tasks` table: stalled first (silent for 30 s or more), then running (and pending),
    /// each by id, then the most recently finished.
    public static func lines(for snapshots: [TaskSnapshot]) -> [TranscriptLine] {
        guard !snapshots.isEmpty else {
            return [TranscriptLine("No tasks yet. Background agents appear here while they run.", style: .notice)]
        }
        let active = snapshots.filter { !$0.status.isTerminal }.sorted {
            ($0.silence == nil ? 1 : 0, $0.id) < ($1.silence == nil ? 1 : 0, $1.id)
        }
        let finished = snapshots.filter(\.status.isTerminal).sorted {
            ($0.endedAt ?? .zero, $0.id) > ($1.endedAt ?? .zero, $1.id)
        }
        let shownFinished = finished.prefix(recentFinishedLimit)
        let rows = (active + shownFinished).map(row(for:))
        let header = ["ID", "NAME", "KIND", "STATUS", "TIME", "TOKENS", "TOOLS", "ACTIVITY"]
        var widths = header.map { DisplayWidth.of($0) }
        for row in rows {
            for (column, cell) in row.cells.enumerated() where column < widths.count - 1 {
                widths[column] = max(widths[column], DisplayWidth.of(cell))
            }
        }
        func format(_ cells: [String]) -> String {
            var line = ""
            line.reserveCapacity(widths.reduce(2 * cells.count) { $0 + $1 } + (cells.last?.utf8.count ?? 0))
            for (column, cell) in cells.enumerated() {
                if column > 0 { line += "  " }
                line += cell
                if column < cells.count - 1 {
                    let missing = widths[column] - DisplayWidth.of(cell)
                    if missing > 0 { line += String(repeating: " ", count: missing) }
                }
            }
            return line
        }
        var lines = [TranscriptLine(format(header), style: .heading, wraps: false)]
        lines += rows.map { TranscriptLine(format($0.cells), style: $0.style, wraps: false) }
        let hidden = finished.count - shownFinished.count
        if hidden > 0 {
            lines.append(TranscriptLine("(\(hidden) older finished \(hidden == 1 ? "task" : "tasks") not shown; /tasks show <id> still finds them)", style: .dim))
        }
        return lines
    }

    /// Transcript lines `/tasks show <id>` shows without `all`.
    public static let transcriptTail = 20

    /// The `/tasks show <id>` detail: header, usage, prompt, recent trail, the transcript's tail
    /// (all of what is kept when `all`), and result or error.
    public static func detail(
        of task: TaskSnapshot, transcript: AgentTranscript = AgentTranscript(), all: Bool = false, session: RunResult.ModelCalls? = nil
    ) -> [TranscriptLine] {
        var lines: [TranscriptLine] = []
        let kind = "\(task.mode.rawValue) \(task.kind.rawValue)"
        lines.append(TranscriptLine("Task \(task.id) · \(task.name) · \(kind) · \(task.statusWord) · \(task.age.humanReadable)", style: .heading))
        lines.append(TranscriptLine("Launched by \(task.spawner == .topLevel ? "the main agent" : "task \(task.spawner)")", style: .dim))
        lines.append(TranscriptLine("Usage: \(UsageText.detail(of: task))", style: .dim))
        if let budget = UsageText.budgetLine(of: task) { lines.append(budget) }
        if let session {
            lines.append(TranscriptLine("Session: \(UsageText.modelCalls(session))", style: .dim))
        }
        lines.append(TranscriptLine("Prompt:", style: .heading))
        lines += TranscriptLine.lines(task.description.isEmpty ? "(none)" : task.description, indent: "  ")
        lines.append(TranscriptLine("Recent progress:", style: .heading))
        if task.trail.isEmpty {
            lines.append(TranscriptLine("  (nothing yet)", style: .dim))
        } else {
            lines += task.trail.flatMap { TranscriptLine.lines($0, style: .toolOutput, indent: "  · ") }
        }
        lines += transcriptLines(of: task, transcript: transcript, all: all)
        lines += ending(of: task)
        return lines
    }

    /// The last part of a task's detail: what it does now, or how it ended (its result or error).
    public static func ending(of task: TaskSnapshot) -> [TranscriptLine] {
        var lines: [TranscriptLine] = []
        switch task.status {
        case .pending:
            lines.append(TranscriptLine(task.isStopping ? "Stopping before it started." : "Waiting to start.", style: .dim))
        case .queued(let position):
            lines.append(TranscriptLine("Queued: \(TaskSnapshot.ordinal(position)) in line for a slot; it starts when one frees.", style: .dim))
        case .running(let step, let activity):
            // While stopping, the work it was doing may still be ending: say what that was.
            let now = activityText(step: step, activity: activity) + (task.silence.map { " (\(silenceText($0)))" } ?? "")
            lines.append(TranscriptLine(task.isStopping ? "Stopping; was: \(now)" : "Now: \(now)", style: task.isStopping ? .warning : .notice))
        case .paused(let step, let activity):
            lines.append(TranscriptLine("Paused at \(activityText(step: step, activity: activity)); /tasks resume \(task.id) goes on.", style: .warning))
        case .completed(let summary):
            lines.append(TranscriptLine("Result:", style: .heading))
            lines += TranscriptLine.lines(summary.isEmpty ? "(empty)" : summary, indent: "  ")
        case .failed(let error):
            lines.append(TranscriptLine("Error:", style: .error))
            lines += TranscriptLine.lines(error, style: .error, indent: "  ")
        case .cancelled(let source):
            lines.append(TranscriptLine("Cancelled \(source).", style: .warning))
        case .budgetExhausted(let reason, let report):
            lines.append(TranscriptLine("Budget exhausted: \(reason).", style: .warning))
            lines.append(TranscriptLine("Report:", style: .heading))
            lines += TranscriptLine.lines(report.isEmpty ? "(empty)" : report, indent: "  ")
        }
        return lines
    }

    /// The `Transcript:` section: its tail (or all that is kept), saying what is not shown.
    public static func transcriptLines(of task: TaskSnapshot, transcript: AgentTranscript, all: Bool) -> [TranscriptLine] {
        let kept = transcript.lines
        guard !kept.isEmpty else { return [] }
        var lines = [TranscriptLine("Transcript:", style: .heading)]
        let shown = all ? kept[...] : kept.suffix(transcriptTail)
        let dropped = transcript.dropped
        if all, dropped > 0 {
            lines.append(TranscriptLine("  (\(dropped) earlier \(dropped == 1 ? "line" : "lines") dropped; the session log has them)", style: .dim))
        } else if !all, kept.count > shown.count || dropped > 0 {
            let hidden = kept.count - shown.count + dropped
            lines.append(TranscriptLine("  (\(hidden) earlier \(hidden == 1 ? "line" : "lines") not shown; /tasks show \(task.id) all shows the \(kept.count) kept)", style: .dim))
        }
        lines += shown.map { TranscriptLine("  " + TerminalSanitizer.sanitize($0), style: .toolOutput) }
        return lines
    }

    private struct Row {
        let cells: [String]
        let style: TranscriptLine.Style
    }

    private static func row(for task: TaskSnapshot) -> Row {
        let kind = task.mode == .background ? task.kind.rawValue : "fg \(task.kind.rawValue)"
        let cells = [
            "\(task.id)", cut(oneLine(task.name), to: nameWidth), kind, task.statusWord, task.age.humanReadable,
            UsageText.tokensCell(of: task), UsageText.toolsCell(of: task), cut(activity(of: task), to: activityWidth),
        ]
        let style: TranscriptLine.Style = switch task.status {
        case .pending, .queued, .paused: .dim
        case .running: task.isStopping || task.silence != nil || UsageText.nearBudget(task) ? .warning : .plain
        case .completed: .success
        case .failed: .error
        case .cancelled, .budgetExhausted: .warning
        }
        return Row(cells: cells, style: style)
    }

    /// What the ACTIVITY column says: `step 3 · grep` while running, the outcome once ended.
    public static func activity(of task: TaskSnapshot) -> String {
        switch task.status {
        case .pending:
            return task.isStopping ? "never started" : "waiting to start"
        case .queued:
            return "waiting for a slot"
        case .running(let step, let activity):
            if let silence = task.silence { return silenceText(silence) }
            // The STATUS column says `stopping`; this one keeps saying what is still ending.
            return activityText(step: step, activity: activity)
        case .paused(let step, let activity):
            return "paused at " + activityText(step: step, activity: activity)
        case .completed(let summary):
            return oneLine(summary)
        case .failed(let error):
            return oneLine(error)
        case .cancelled(let source):
            return "cancelled \(source)"
        case .budgetExhausted(let reason, _):
            return oneLine(reason)
        }
    }

    /// `silent 45s`: a running task that has reported nothing for that long.
    static func silenceText(_ silence: Duration) -> String {
        "silent \(silence.components.seconds)s"
    }

    private static func activityText(step: Int, activity: String?) -> String {
        guard step > 0 else { return "starting" }
        guard let activity, !activity.isEmpty else { return "step \(step)" }
        return "step \(step) · \(oneLine(activity))"
    }

    /// The first non-empty line of `text`.
    static func oneLine(_ text: String) -> String {
        // Printable ASCII without line breaks or blanks at either end is already one line.
        let bytes = text.utf8
        if let head = bytes.first, let tail = bytes.last, head != 0x20, tail != 0x20,
           bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            return text
        }
        let first = text.split(whereSeparator: \.isNewline).first { !$0.allSatisfy(\.isWhitespace) }
        return first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
    }

    static func cut(_ text: String, to width: Int) -> String {
        DisplayWidth.truncate(TerminalSanitizer.sanitize(text), to: width)
    }
}
