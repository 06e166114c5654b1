import MusterCore
import MusterPresentation

/// Draws the task dialog over the transcript's rows (the status and input lines stay) and the
/// agents panel above the status line. Only the rows on screen are formatted.
enum TaskDialogRenderer {
    // MARK: The dialog

    /// Draws the open dialog into rows `0..<height` of `frame`.
    static func drawDialog(_ frame: inout Frame, state: inout InteractiveState, height: Int) {
        guard height > 0, var dialog = state.dialog else { return }
        dialog.refresh(from: state.board)
        switch dialog.page {
        case .list:
            drawList(&frame, dialog: &dialog, state: state, height: height)
        case .detail(let id):
            drawDetail(&frame, dialog: &dialog, id: id, state: state, height: height)
        }
        state.updateDialog(dialog)
    }

    private static func drawList(_ frame: inout Frame, dialog: inout TaskDialog, state: InteractiveState, height: Int) {
        let width = frame.size.columns
        let theme = state.theme
        drawTitle(&frame, dialog.tree.title, theme: theme)
        let listHeight = max(0, height - 2)
        dialog.layoutList(height: listHeight)
        let rows = dialog.tree.rows
        if rows.isEmpty, listHeight > 0 {
            frame.draw(DisplayWidth.truncate(" No tasks yet. Background agents appear here while they run.", to: width), row: 1, column: 0, style: theme.style(.dim))
        }
        let onScreen = dialog.top..<min(rows.count, dialog.top + listHeight)
        let shown = onScreen.compactMap { index -> TaskSnapshot? in
            if case .task(let id) = rows[index].content { state.board.snapshot(of: id) } else { nil }
        }
        let columns = TaskRowText.Columns(width: width, largestID: state.board.largestID, shown: shown)
        let spinner = PillState.spinnerFrames[state.pill.spinnerFrame]
        var row = 1
        for index in onScreen {
            let item = rows[index]
            let text: String
            let style: CellStyle
            switch item.content {
            case .task(let id):
                guard let task = state.board.snapshot(of: id) else { continue }
                text = TaskRowText.dialogRow(
                    task, prefix: item.prefix, elapsed: state.board.elapsed(of: task, at: state.now), columns: columns, width: width, spinner: spinner
                )
                // A task waiting for the person stands out as one that needs attention.
                style = theme.style(isAsking(task, state) ? .warning : lineStyle(of: task))
            case .collapsed(_, let count, let running):
                text = TaskRowText.collapsedRow(prefix: item.prefix, count: count, running: running, width: width)
                style = theme.style(.dim)
            }
            if index == dialog.selected {
                var selected = style
                selected.reverse = true
                selected.dim = false
                frame.fill(row: row, from: 0, count: width, style: selected)
                frame.draw(text, row: row, column: 0, style: selected)
            } else {
                frame.draw(text, row: row, column: 0, style: style)
            }
            row += 1
        }
        let selected = dialog.selectedTaskID.flatMap(state.board.snapshot(of:))
        guard !rows.isEmpty else {
            drawKeyLine(&frame, dialog: dialog, keys: [("Esc or Ctrl-T closes", "Esc closes")], row: height - 1, theme: theme)
            return
        }
        let approve = TaskDialog.approvalKeys(asking: isAsking(selected, state)), actions = TaskDialog.actionKeys(for: selected)
        let keys = approve + [("↑↓ move", "↑↓")] + (selected == nil ? [] : [("Enter details", "Enter")])
            + actions + [("X stop all", "X all"), ("Esc close", "Esc")]
        drawKeyLine(&frame, dialog: dialog, keys: keys, essential: approve + actions, row: height - 1, theme: theme)
    }

    /// `task` has a call waiting for approval.
    private static func isAsking(_ task: TaskSnapshot?, _ state: InteractiveState) -> Bool {
        guard let id = task?.id else { return false }
        return state.board.approvals.contains { $0.agent.taskID == id }
    }

    private static func drawDetail(_ frame: inout Frame, dialog: inout TaskDialog, id: TaskID, state: InteractiveState, height: Int) {
        let width = frame.size.columns
        let theme = state.theme
        guard let task = state.board.snapshot(of: id) else {
            drawTitle(&frame, "\(id)", theme: theme)
            return
        }
        drawTitle(&frame, TerminalSanitizer.sanitize("\(task.label) · \(task.statusWord)"), theme: theme)
        let mode = task.mode == .background ? "background" : "foreground"
        let launcher = task.spawner == .topLevel ? "the main agent" : "task \(task.spawner)"
        var head = [
            TranscriptLine("\(task.kind.rawValue) · \(mode) · \(task.statusWord) · \(TaskRowText.elapsed(state.board.elapsed(of: task, at: state.now))) · launched by \(launcher)", style: .plain),
            TranscriptLine("Usage: \(UsageText.detail(of: task))", style: .dim),
        ]
        if let budget = UsageText.budgetLine(of: task) { head.append(budget) }
        var row = 1
        for line in head where row < height - 1 {
            frame.draw(DisplayWidth.truncate(line.text, to: width), row: row, column: 0, style: theme.style(line.style))
            row += 1
        }
        var body: [TranscriptLine]
        if let transcript = dialog.transcript?.lines {
            body = TaskTable.transcriptLines(of: task, transcript: transcript, all: true)
            if body.isEmpty { body = [TranscriptLine("(nothing in its transcript yet)", style: .dim)] }
        } else {
            body = [TranscriptLine("(reading its transcript…)", style: .dim)]
        }
        body += TaskTable.ending(of: task)
        var wrapped: [(text: String, style: TranscriptLine.Style)] = []
        for line in body {
            if line.wraps {
                wrapped += TextWrapper.wrap(line.text, width: width).map { ($0, line.style) }
            } else {
                wrapped.append((DisplayWidth.truncate(line.text, to: width), line.style))
            }
        }
        let bodyHeight = max(0, height - 1 - row)
        let first = dialog.layoutDetail(lines: wrapped.count, height: bodyHeight)
        for line in wrapped.dropFirst(first).prefix(bodyHeight) {
            frame.draw(line.text, row: row, column: 0, style: theme.style(line.style))
            row += 1
        }
        let follow = dialog.detailTop == nil ? "following" : "End follows"
        let actions = TaskDialog.approvalKeys(asking: isAsking(task, state)) + TaskDialog.actionKeys(for: task)
        let keys = [("↑↓ scroll · \(follow)", "↑↓")] + actions + [("X stop all", "X all"), ("Esc back", "Esc back")]
        drawKeyLine(&frame, dialog: dialog, keys: keys, essential: actions, row: height - 1, theme: theme)
    }

    /// `─ Tasks (3 running · 2 done) ─────────`
    private static func drawTitle(_ frame: inout Frame, _ title: String, theme: Theme) {
        let width = frame.size.columns
        frame.fill(row: 0, from: 0, count: width, with: "─", style: theme.rule)
        guard width > 4 else { return }
        frame.draw(" ", row: 0, column: 1)
        let end = frame.draw(DisplayWidth.truncate(title, to: width - 4), row: 0, column: 2, style: theme.style(.heading))
        if end < width { frame.draw(" ", row: 0, column: end) }
    }

    /// The bottom line: what Enter and Esc do while a message is typed, a stop waiting for its
    /// second `x`, a notice, or the keys that apply: their long forms when they fit, else the
    /// short ones, else only the `essential` ones (those that act on the selected task) and Esc.
    private static func drawKeyLine(
        _ frame: inout Frame, dialog: TaskDialog, keys: [(long: String, short: String)], essential: [(long: String, short: String)] = [],
        row: Int, theme: Theme
    ) {
        guard row > 0 else { return }
        let width = frame.size.columns
        if dialog.message != nil {
            let text = DisplayWidth.truncate("Enter sends the message · Esc cancels", to: width)
            frame.draw(text, row: row, column: 0, style: theme.attention)
        } else if let armed = dialog.armedStop {
            frame.draw(DisplayWidth.truncate(armed.message, to: width), row: row, column: 0, style: theme.attention)
        } else if let notice = dialog.notice {
            frame.draw(DisplayWidth.truncate(notice, to: width), row: row, column: 0, style: theme.style(.notice))
        } else {
            let forms = [keys.map(\.long), keys.map(\.short), (essential + [("Esc", "Esc")]).map(\.short)].map { $0.joined(separator: " · ") }
            let text = forms.first { DisplayWidth.of($0) <= width } ?? forms[1]
            frame.draw(DisplayWidth.truncate(text, to: width), row: row, column: 0, style: theme.rule)
        }
    }

    /// A row's colour, from its status (a word added later shows plain, or dim once ended).
    static func lineStyle(of task: TaskSnapshot) -> TranscriptLine.Style {
        if task.isStopping || task.silence != nil { return .warning }
        // Amber past 80% of some budget, as in `/tasks`.
        if case .running = task.status { return UsageText.nearBudget(task) ? .warning : .plain }
        if case .completed = task.status { return .success }
        if case .failed = task.status { return .error }
        if case .cancelled = task.status { return .warning }
        return .dim
    }

    // MARK: The agents panel

    /// The panel's rows for `state` (empty when it is hidden).
    static func panelLines(_ state: InteractiveState) -> [(text: String, style: TranscriptLine.Style)] {
        guard state.dialog == nil, state.size.rows >= AgentsPanel.minimumScreenRows, state.closingMessage == nil else { return [] }
        let (tasks, more) = state.panel.rows(board: state.board, at: state.now)
        let width = max(0, state.size.columns - 2)
        let spinner = PillState.spinnerFrames[state.pill.spinnerFrame]
        var lines = tasks.map { task in
            (TaskRowText.panelRow(task, elapsed: state.board.elapsed(of: task, at: state.now), width: width, spinner: spinner),
             task.isTerminal ? lineStyle(of: task) : .dim)
        }
        if more > 0 { lines.append(("+\(more) more · /tasks lists them", .dim)) }
        return lines
    }

    /// Draws the panel's lines from `row` on, indented by one cell.
    static func drawPanel(_ frame: inout Frame, lines: [(text: String, style: TranscriptLine.Style)], from row: Int, theme: Theme) {
        for (offset, line) in lines.enumerated() {
            frame.draw(line.text, row: row + offset, column: 1, style: theme.style(line.style))
        }
    }
}
