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
        if rows >= 3 { drawTranscript(&frame, state: &state, height: rows - 2) }
        if rows >= 2 { drawStatus(&frame, state: state, row: rows - 2) }
        drawInput(&frame, state: state, row: rows - 1)
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

        let leftWidth = DisplayWidth.of(left.text)
        let margin = width >= 20 ? 2 : 0
        var column = margin
        if margin > 0 { frame.draw(" ", row: row, column: column - 1, style: theme.rule) }
        let leftLimit = max(0, width - column - (margin > 0 ? 1 : 0))
        let shownLeft = DisplayWidth.truncate(left.text, to: leftLimit)
        column = frame.draw(shownLeft, row: row, column: column, style: left.style)
        if column < width { frame.draw(" ", row: row, column: column) }

        // The hint only goes where it fits whole, after the pill and a bit of rule: the long
        // form if it fits, else the short one (a narrow terminal still says what goes on).
        let fitting = rightSegments(state).first { segment in
            !segment.text.isEmpty && width - margin - DisplayWidth.of(segment.text) - 1 >= margin + leftWidth + 3
        }
        guard let right = fitting else { return }
        let start = width - margin - DisplayWidth.of(right.text)
        frame.draw(" ", row: row, column: start - 1)
        let end = frame.draw(right.text, row: row, column: start, style: right.style)
        if margin > 0, end < width { frame.draw(" ", row: row, column: end) }
    }

    /// The right side of the status line, longest form first.
    private static func rightSegments(_ state: InteractiveState) -> [(text: String, style: CellStyle)] {
        let theme = state.theme
        if state.closingMessage != nil { return [] }
        if let hint = state.hint { return [(hint.text, hint.isUrgent ? theme.attention : theme.rule)] }
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
