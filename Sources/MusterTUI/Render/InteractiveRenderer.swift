import MusterCore
import MusterPresentation

/// Lays out one frame: the transcript on top, the status line with the pill, the input line.
public enum InteractiveRenderer {
    /// The input prompt.
    static let prompt = "› "

    /// The frame for `state` (inout only because the transcript caches wrapped rows).
    public static func frame(for state: inout InteractiveState) -> Frame {
        var frame = Frame(size: state.size)
        let rows = state.size.rows
        guard rows > 0, state.size.columns > 0 else { return frame }
        if rows >= 3 {
            if state.dialog != nil {
                TaskDialogRenderer.drawDialog(&frame, state: &state, height: rows - 2)
            } else {
                let panel = TaskDialogRenderer.panelLines(state)
                drawTranscript(&frame, state: &state, height: rows - 2 - panel.count)
                TaskDialogRenderer.drawPanel(&frame, lines: panel, from: rows - 2 - panel.count, theme: state.theme)
            }
        }
        if rows >= 2 { drawStatus(&frame, state: state, row: rows - 2) }
        drawInput(&frame, state: state, row: rows - 1)
        // The dialog has the keys: no cursor in the input, whose text waits as it was (unless
        // the line holds a message being typed for an agent).
        if state.dialog != nil, state.dialog?.message == nil { frame.cursor = nil }
        return frame
    }

    private static func drawTranscript(_ frame: inout Frame, state: inout InteractiveState, height: Int) {
        let trailing = state.transcript.isScrolledUp ? [] : state.trailingLines
        let rows = state.transcript.visibleRows(width: frame.size.columns, height: height, trailing: trailing)
        // Short transcripts sit at the bottom, next to the input, as in a shell.
        let top = height - rows.count
        for (offset, row) in rows.enumerated() {
            frame.draw(row.text, row: top + offset, column: 0, style: state.theme.style(row.style))
        }
    }

    /// `── ● 2/10 agents · 1 done ◐ ─────────── working ◓ · Esc interrupts ──`
    private static func drawStatus(_ frame: inout Frame, state: InteractiveState, row: Int) {
        let width = frame.size.columns
        let theme = state.theme
        frame.fill(row: row, from: 0, count: width, with: "─", style: theme.rule)

        let left: (text: String, style: CellStyle)
        if let closing = state.closingMessage {
            left = (closing, theme.attention)
        } else {
            left = (state.pill.text, state.pill.isActive || state.pill.done > 0 ? theme.pillActive : theme.pillIdle)
        }
        let leftStyle = state.pillFocused ? CellStyle(bold: true, reverse: true) : left.style

        let leftWidth = DisplayWidth.of(left.text)
        let margin = width >= 20 ? 2 : 0
        var column = margin
        if margin > 0 { frame.draw(" ", row: row, column: column - 1, style: theme.rule) }
        let leftLimit = max(0, width - column - (margin > 0 ? 1 : 0))
        let shownLeft = DisplayWidth.truncate(left.text, to: leftLimit)
        column = frame.draw(shownLeft, row: row, column: column, style: leftStyle)
        if column < width { frame.draw(" ", row: row, column: column) }

        // The hint only goes where it fits whole, after the pill and a bit of rule: the long
        // form if it fits, else the short one (a narrow terminal still says what goes on).
        let fitting = rightSegments(state).first { segment in
            !segment.text.isEmpty && width - margin - DisplayWidth.of(segment.text) - 1 >= margin + leftWidth + 3
        }
        let rightStart = fitting.map { width - margin - DisplayWidth.of($0.text) } ?? width - margin
        drawTokens(&frame, state: state, row: row, after: column, before: rightStart)
        guard let right = fitting else { return }
        frame.draw(" ", row: row, column: rightStart - 1)
        let end = frame.draw(right.text, row: row, column: rightStart, style: right.style)
        if margin > 0, end < width { frame.draw(" ", row: row, column: end) }
    }

    /// The pill's detail, ` · 12.4k tok`, after the pill: only where it fits whole with a bit
    /// of rule on both sides, and never instead of the hint.
    private static func drawTokens(_ frame: inout Frame, state: InteractiveState, row: Int, after column: Int, before limit: Int) {
        guard state.closingMessage == nil, let tokens = state.pill.tokensText else { return }
        let detail = "· \(tokens)"
        guard column + 1 + DisplayWidth.of(detail) + 3 <= limit else { return }
        let end = frame.draw(detail, row: row, column: column + 1, style: state.theme.rule)
        frame.draw(" ", row: row, column: end)
    }

    /// The right side of the status line, longest form first.
    private static func rightSegments(_ state: InteractiveState) -> [(text: String, style: CellStyle)] {
        let theme = state.theme
        if state.closingMessage != nil { return [] }
        if let hint = state.hint { return [(hint.text, hint.isUrgent ? theme.attention : theme.rule)] }
        if state.pillFocused { return [("Enter lists the tasks · Esc back", theme.rule), ("Enter: tasks", theme.rule)] }
        if state.transcript.isScrolledUp {
            let unseen = state.transcript.unseenLines
            let long = unseen > 0 ? "↓ \(unseen) new \(unseen == 1 ? "line" : "lines") · PgDn" : "scrolled up · PgDn"
            let short = unseen > 0 ? "↓ \(unseen) · PgDn" : "↑ PgDn"
            return [(long, theme.attention), (short, theme.attention)]
        }
        if state.turnRunning {
            if state.interrupting { return [("interrupting…", theme.attention)] }
            let spinner = PillState.spinnerFrames[state.turnSpinnerFrame]
            if state.canMoveToBackground {
                return [("working \(spinner) · Esc interrupts · Ctrl+B background", theme.rule), ("Ctrl+B background", theme.rule), ("working", theme.rule)]
            }
            return [("working \(spinner) · Esc interrupts", theme.rule), ("working", theme.rule)]
        }
        return [("/help for commands", theme.rule), ("/help", theme.rule)]
    }

    private static func drawInput(_ frame: inout Frame, state: InteractiveState, row: Int) {
        if let request = state.confirmation {
            let end = frame.draw(request.prompt + " ", row: row, column: 0, style: state.theme.attention)
            drawEditor(state.answerLine, in: &frame, row: row, from: end)
            return
        }
        if let message = state.dialog?.message {
            // The agent's name comes from a model: inert.
            let name = state.board.snapshot(of: message.id).map { TerminalSanitizer.sanitize($0.label) } ?? "\(message.id)"
            let end = frame.draw("Message for \(name) › ", row: row, column: 0, style: state.theme.attention)
            drawEditor(message.editor, in: &frame, row: row, from: end)
            return
        }
        if !state.approvals.isEmpty, state.dialog == nil {
            let end = frame.draw(ApprovalText.prompt + " ", row: row, column: 0, style: state.theme.attention)
            drawEditor(state.answerLine, in: &frame, row: row, from: end)
            return
        }
        let promptEnd = frame.draw(prompt, row: row, column: 0, style: state.theme.prompt)
        drawEditor(state.editor, in: &frame, row: row, from: promptEnd)
    }

    /// The editor's text from `column` on, scrolled sideways so the cursor stays visible.
    private static func drawEditor(_ editor: LineEditor, in frame: inout Frame, row: Int, from column: Int) {
        let width = frame.size.columns
        let available = width - column
        guard available > 0 else {
            frame.cursor = (row, width - 1)
            return
        }
        // A pasted line break shows as ↵ and a tab as a space: the input stays one row.
        let characters = editor.characters.map { $0 == "\n" ? "↵" : $0 == "\t" ? " " : $0 }
        let widths = characters.map { DisplayWidth.of(String($0)) }
        let cursorColumn = widths.prefix(editor.cursor).reduce(0, +)
        // Scroll horizontally so the cursor stays visible, keeping one cell for it at the end.
        var skipped = 0
        var first = 0
        while cursorColumn - skipped > available - 1, first < characters.count {
            skipped += widths[first]
            first += 1
        }
        let visible = String(characters[first...])
        frame.draw(visible, row: row, column: column, limit: available)
        frame.cursor = (row, min(width - 1, column + cursorColumn - skipped))
    }
}
