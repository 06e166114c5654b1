import MusterCore

/// One task as a single line: a row of the task dialog's list (glyph, id, name, kind, status,
/// elapsed, tokens, activity in columns that narrow windows drop) and a row of the agents
/// panel (`◐ tree · shell: find . -type f · 12s · 1.2k tok`). Every text is made inert.
public enum TaskRowText {
    /// The dialog's column widths; `id` is the widest id shown (`#123`).
    public struct Columns: Sendable, Equatable {
        public let id: Int
        public let name: Int
        /// Zero when the window is too narrow for the column.
        public let kind: Int
        public let status: Int
        public let elapsed: Int
        public let tokens: Int

        /// Columns for a list `width` cells wide whose largest id is `largestID`; the status and
        /// tokens columns widen to fit the rows `shown` (`queued 2nd`, `budget exhausted`,
        /// `12.1k/20k` against a token budget), within bounds.
        public init(width: Int, largestID: Int, shown: [TaskSnapshot] = []) {
            id = 1 + String(max(1, largestID)).count
            name = width >= 70 ? 16 : width >= 50 ? 12 : 8
            kind = width >= 64 ? 5 : 0
            status = min(16, shown.reduce(9) { max($0, DisplayWidth.of($1.statusWord)) })
            elapsed = 6
            tokens = width >= 52 ? min(11, shown.reduce(6) { max($0, DisplayWidth.of(UsageText.tokensCell(of: $1))) }) : 0
        }
    }

    /// The status glyph: the spinner frame while running, `◌` stopping, `○` waiting to start,
    /// `✓` completed, `✗` failed, `⊘` cancelled, `•` any other ending.
    public static func glyph(of task: TaskSnapshot, spinner: String = PillState.spinnerFrames[0]) -> String {
        if task.isStopping { return "◌" }
        if case .running = task.status { return spinner }
        if case .completed = task.status { return "✓" }
        if case .failed = task.status { return "✗" }
        if case .cancelled = task.status { return "⊘" }
        return task.status.isTerminal ? "•" : "○"
    }

    /// `12s`, `4m05s`, `2h03m`: whole seconds, as a live clock reads.
    public static func elapsed(_ duration: Duration) -> String {
        let seconds = max(0, duration.components.seconds)
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m\(twoDigits(seconds % 60))s" }
        return "\(seconds / 3600)h\(twoDigits((seconds % 3600) / 60))m"
    }

    /// A list row, at most `width` cells: `◐ #2  beta     agent  running      12s   1.2k  step 1 · thinking`
    /// (`12.1k/20k` in the tokens column against a token budget).
    /// `prefix` is the tree's drawing (`  └ `), which comes before the id.
    public static func dialogRow(
        _ task: TaskSnapshot, prefix: String = "", elapsed: Duration, columns: Columns, width: Int, spinner: String = PillState.spinnerFrames[0]
    ) -> String {
        var line = glyph(of: task, spinner: spinner) + " " + prefix
        line += pad("\(task.id)", columns.id) + " "
        // The tree's indentation comes out of the name's share, down to a few letters.
        let nameWidth = max(4, columns.name - DisplayWidth.of(prefix))
        line += pad(inert(TaskTable.oneLine(task.name), nameWidth), nameWidth) + " "
        if columns.kind > 0 { line += pad(inert(task.kind.rawValue, columns.kind), columns.kind) + " " }
        line += pad(inert(task.statusWord, columns.status), columns.status) + " "
        line += padLeft(Self.elapsed(elapsed), columns.elapsed) + " "
        if columns.tokens > 0 { line += padLeft(UsageText.tokensCell(of: task), columns.tokens) + " " }
        let used = DisplayWidth.of(line)
        line += " " + inert(TaskTable.activity(of: task), max(0, width - used - 1))
        return DisplayWidth.truncate(line, to: width)
    }

    /// A count row that stands for a collapsed subtree: `  └ 4 more nested · 2 running · Enter lists them`.
    public static func collapsedRow(prefix: String, count: Int, running: Int, width: Int) -> String {
        var line = "  " + prefix + "\(count) more nested"
        if running > 0 { line += " · \(running) running" }
        line += " · Enter lists them"
        return DisplayWidth.truncate(line, to: width)
    }

    /// A panel row: `◐ tree · shell: find . -type f · 12s · 1.2k tok`; an ended task says how it ended.
    public static func panelRow(_ task: TaskSnapshot, elapsed: Duration, width: Int, spinner: String = PillState.spinnerFrames[0]) -> String {
        let doing: String
        if task.status.isTerminal || task.isStopping {
            doing = task.statusWord
        } else if case .running(_, let activity?) = task.status, !activity.isEmpty, task.silence == nil {
            doing = TaskTable.oneLine(activity)
        } else {
            doing = TaskTable.activity(of: task)
        }
        let tail = " · \(Self.elapsed(elapsed)) · \(UsageText.tokens(task.totalUsage.tokens)) tok"
        let head = glyph(of: task, spinner: spinner) + " " + inert(TaskTable.oneLine(task.name), 24) + " · "
        // The activity gives way first, so that the name, time and tokens stay readable.
        let room = width - DisplayWidth.of(head) - DisplayWidth.of(tail)
        if room >= 8 { return head + inert(doing, room) + tail }
        return DisplayWidth.truncate(head + inert(doing, max(0, width - DisplayWidth.of(head))), to: width)
    }

    private static func inert(_ text: String, _ width: Int) -> String {
        DisplayWidth.truncate(TerminalSanitizer.sanitize(text), to: width)
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        let missing = width - DisplayWidth.of(text)
        return missing > 0 ? text + String(repeating: " ", count: missing) : text
    }

    private static func padLeft(_ text: String, _ width: Int) -> String {
        let missing = width - DisplayWidth.of(text)
        return missing > 0 ? String(repeating: " ", count: missing) + text : text
    }

    private static func twoDigits(_ value: Int64) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}
