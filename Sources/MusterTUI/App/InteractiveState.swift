import MusterCore
import MusterPresentation

/// Everything the interactive screen shows, and how keys, signals and session events change
/// it. A value with no I/O: the app feeds it and draws it; tests do the same without a terminal.
public struct InteractiveState: Sendable {
    /// How long a second Ctrl-C at an idle prompt still means "quit".
    public static let doubleInterruptWindow: Duration = .seconds(1)
    /// Rows one notch of the mouse wheel scrolls.
    public static let wheelStep = 3

    public var size: ScreenSize
    public let theme: Theme
    public var transcript: TranscriptBuffer
    public private(set) var formatter = TranscriptFormatter(helpFooter: FrontEnd.interactiveKeyHelp)
    public private(set) var pill: PillState
    public var editor: LineEditor
    public private(set) var turnRunning = false
    public private(set) var interrupting = false
    /// The running turn is a `!` command, which Ctrl+B can move to the background.
    private var shellTurnRunning = false
    /// The main agent's foreground sub-agents and `shell` calls now running (Ctrl+B can move them too).
    private var foregroundSubAgents: Set<TaskID> = []
    /// Something in the foreground that Ctrl+B can move to the background.
    public var canMoveToBackground: Bool { turnRunning && (shellTurnRunning || !foregroundSubAgents.isEmpty) }
    public private(set) var confirmation: ConfirmationRequest?
    /// The answer being typed to `confirmation`: a line of its own, so nothing typed there
    /// reaches the main input (or the agent).
    public private(set) var answerLine = LineEditor()
    /// The main agent's calls waiting for approval, oldest first: the first is asked in the
    /// input line (its answer is typed in `answerLine`, after any confirmation).
    public private(set) var approvals: [ApprovalRequest] = []
    /// Background agents' calls waiting for approval, oldest first (`y`/`n` in the task dialog).
    public var backgroundApprovals: [ApprovalRequest] { board.approvals }
    public private(set) var hint: StatusHint?
    /// Shown instead of the pill while shutting down.
    public private(set) var closingMessage: String?
    public private(set) var turnSpinnerFrame = 0
    /// Lines typed ahead, oldest first, not handed over yet: shown dimmed under the transcript,
    /// and Up or Esc takes the newest back into the input.
    public private(set) var queued: [String] = []
    /// The completed lines of the main agent's message being streamed: kept together under
    /// the transcript until the message ends, so nothing lands in the middle of it.
    public private(set) var liveLines: [TranscriptLine] = []
    /// Tasks that have not ended, for Tab after `/tasks stop ` and the like.
    private var runningTasks: Set<TaskID> = []
    /// `runningTasks` changed since the editor was told: it is told at the next Tab (sorting
    /// thousands of ids on every start and end made a burst of tasks quadratic).
    private var completionIDsStale = false
    /// A command (or an answer) was handed over and its reply has not come yet.
    private var commandInFlight = false
    /// Input was handed to the session and its turn has not started yet.
    private var submissionPending = false
    private var lastIdleInterrupt: ContinuousClock.Instant?
    /// Every task heard of: the task dialog's list and the agents panel read it.
    public private(set) var board = TaskBoard()
    /// The task dialog while it is open (it has the keys then; the input keeps its text).
    public private(set) var dialog: TaskDialog?
    /// The agents panel (`/panel off|on`, `--no-agent-panel`).
    public var panel = AgentsPanel()
    /// ↓ on an empty input moved the focus to the pill: Enter opens the task dialog.
    public private(set) var pillFocused = false
    /// The time a frame shows (live ages go on from the events' snapshots); the app sets it.
    public var now: ContinuousClock.Instant = .now
    /// The task whose transcript the dialog's detail needs (re)fetched.
    private var transcriptRequest: TaskID?

    /// A fresh screen state: empty transcript, `pill` as given, `history` for Up/Down.
    public init(size: ScreenSize, theme: Theme, pill: PillState, history: [String] = [], transcriptCapacity: Int = 5000) {
        self.size = size
        self.theme = theme
        self.pill = pill
        self.editor = LineEditor(history: history)
        self.transcript = TranscriptBuffer(capacity: transcriptCapacity)
    }

    /// Rows the transcript gets: all but the status and input lines and the agents panel.
    public var transcriptHeight: Int { max(0, size.rows - 2 - TaskDialogRenderer.panelLines(self).count) }

    /// True while something moves on screen by itself (spinners, ages, a finished panel row
    /// that lingers), so a 1 Hz tick is needed.
    public var needsTicks: Bool {
        (pill.isActive || turnRunning || panel.hasLingeringRows || (dialog != nil && !board.activeBackground.isEmpty)) && closingMessage == nil
    }

    // MARK: Output

    /// Adds lines to the transcript.
    public mutating func append(_ lines: [TranscriptLine]) {
        transcript.append(lines, width: size.columns)
    }

    /// Applies a session event; returns true when the screen changed. Call `releaseQueued()`
    /// after it: a turn that ended, or a command's reply, lets the next queued input go.
    @discardableResult
    public mutating func apply(_ event: SessionEvent, at now: ContinuousClock.Instant = .now) -> Bool {
        if case .reply(.taskList(let tasks)) = event {
            // `/tasks` opens the live dialog here instead of printing a table that goes stale.
            commandInFlight = false
            board.seed(tasks, at: now)
            openDialog()
            return true
        }
        var changed = false
        if let id = event.agent?.taskID, dialog?.page == .detail(id) {
            switch event {
            case .assistantMessage, .toolStart, .toolEnd: transcriptRequest = id
            default: break
            }
        }
        switch event {
        case .turnStart(_, let trigger):
            changed = !turnRunning || interrupting
            turnRunning = true
            interrupting = false
            if case .input = trigger { submissionPending = false }
            if case .input(let text) = trigger { shellTurnRunning = text.hasPrefix("!") } else { shellTurnRunning = false }
        case .turnEnd:
            changed = turnRunning
            turnRunning = false
            shellTurnRunning = false
            interrupting = false
        case .task(let taskEvent):
            changed = pill.apply(taskEvent)
            if let task = taskEvent.snapshot, task.kind == .agent || task.kind == .shell, task.spawner == .topLevel {
                let movable = task.mode == .foreground && !task.isTerminal && !task.isStopping
                if movable != foregroundSubAgents.contains(task.id) {
                    changed = true
                    if movable { foregroundSubAgents.insert(task.id) } else { foregroundSubAgents.remove(task.id) }
                }
            }
            trackRunningTask(taskEvent)
            if let task = board.apply(taskEvent, at: now) {
                panel.note(task, at: now)
                changed = changed || dialog != nil || (panel.isEnabled && task.mode == .background)
                if case .detail(let id)? = dialog?.page, task.id == id || task.spawner.taskID == id { transcriptRequest = id }
            }
        case .modelUsage(_, let usage):
            changed = pill.count(usage)
        case .approvalRequested(let request):
            pill.note(approval: event)
            changed = true
            if request.agent.taskID == nil {
                if approvals.isEmpty, confirmation == nil { answerLine = LineEditor() }
                approvals.append(request)
            } else {
                board.noteApproval(request)
            }
        case .approvalAnswered(let id, _, _):
            pill.note(approval: event)
            changed = true
            approvals.removeAll { $0.id == id }
            board.removeApproval(id: id)
        case .reply(let reply):
            changed = true
            commandInFlight = false
            switch reply {
            case .clearTranscript: transcript.clear()
            case .confirm(let request): ask(request)
            default: break
            }
        default:
            break
        }
        let streamingBefore = formatter.streamingLine
        let lines = formatter.lines(for: event)
        if case .reply(let reply) = event, dialog != nil, let first = lines.first {
            switch reply {
            case .confirm, .unclearAnswer: break
            default: dialog?.notice = first.text
            }
        }
        switch event {
        case .textDelta(let agent, _) where agent.taskID == nil:
            liveLines += lines
        case .task, .slashCommand, .reply:
            // A background agent's end, and a command with its reply, go above the message
            // being streamed, not into it.
            append(lines)
        case .approvalRequested(let request) where request.agent.taskID != nil:
            append(lines)
        case .assistantMessage(let agent, _) where agent.taskID == nil:
            commitLiveLines()
            append(lines)
        default:
            if !lines.isEmpty { commitLiveLines() }
            append(lines)
        }
        return changed || !lines.isEmpty || formatter.streamingLine != streamingBefore
    }

    /// What goes under the transcript: the message being streamed, then the queued input.
    public var trailingLines: [TranscriptLine] {
        var lines = liveLines
        if let streaming = formatter.streamingLine { lines.append(streaming) }
        for entry in queued {
            let flat = entry.replacingOccurrences(of: "\n", with: "↵")
            lines.append(TranscriptLine("› \(flat)  · queued", style: .dim))
        }
        return lines
    }

    /// Keeps the ids Tab completes: tasks not ended yet.
    private mutating func trackRunningTask(_ event: TaskRegistryEvent) {
        switch event {
        case .started(let task), .updated(let task):
            guard task.status.isTerminal == runningTasks.contains(task.id) else { return }
            if task.status.isTerminal { runningTasks.remove(task.id) } else { runningTasks.insert(task.id) }
        case .finished(let task):
            guard runningTasks.remove(task.id) != nil else { return }
        case .resultsWaiting, .message:
            return
        }
        completionIDsStale = true
    }

    /// Moves the streamed message's completed lines into the transcript.
    private mutating func commitLiveLines() {
        guard !liveLines.isEmpty else { return }
        append(liveLines)
        liveLines = []
    }

    /// Hands over what may go now, in the order typed: a command when none is in flight (also
    /// while a turn runs), text for the agent when no turn runs or is about to start.
    public mutating func releaseQueued() -> [AppIntent] {
        var intents: [AppIntent] = []
        while confirmation == nil, closingMessage == nil, !commandInFlight {
            if let first = queued.first, !SlashCommandParser.isCommand(first), !turnRunning, !submissionPending {
                queued.removeFirst()
                submissionPending = true
                intents.append(.submit(first))
            } else if let index = queued.firstIndex(where: SlashCommandParser.isCommand) {
                commandInFlight = true
                intents.append(.command(queued.remove(at: index)))
            } else {
                break
            }
        }
        return intents
    }

    /// Moves the spinners on and lets finished panel rows go (the 1 Hz tick).
    public mutating func tick(at now: ContinuousClock.Instant = .now) {
        self.now = now
        panel.expire(at: now)
        pill.advanceSpinner()
        if turnRunning { turnSpinnerFrame = (turnSpinnerFrame + 1) % PillState.spinnerFrames.count }
    }

    /// Drops a hint whose time is up; returns true when one was dropped.
    public mutating func expireHint(now: ContinuousClock.Instant) -> Bool {
        guard let expires = hint?.expires, expires <= now else { return false }
        hint = nil
        return true
    }

    /// Asks the person a yes/no question in the input line.
    public mutating func ask(_ request: ConfirmationRequest) {
        confirmation = request
        answerLine = LineEditor()
    }

    /// Shutting down: keys are ignored from now on and the status line says `message`.
    public mutating func close(_ message: String) {
        closingMessage = message
        confirmation = nil
        answerLine = LineEditor()
        hint = nil
        queued = []
        commitLiveLines()
    }

    /// What stays on the normal screen after exit (the alternate screen is gone by then): the
    /// transcript's last screenful, then the summary line with `session` (id and log) after it.
    public mutating func farewell(summary: String, session: String?) -> String {
        commitLiveLines()
        transcript.scrollToBottom()
        let rows = transcript.visibleRows(width: size.columns, height: max(0, size.rows - 2)).map(\.text)
        let last = [summary, session].compactMap { $0 }.joined(separator: " ")
        return (rows + [last]).map { $0 + "\n" }.joined()
    }

    // MARK: Input

    /// Applies a key; returns what the app must do.
    public mutating func handle(_ key: Key, now: ContinuousClock.Instant) -> [AppIntent] {
        guard closingMessage == nil else { return [] }
        if let request = confirmation, ![.pageUp, .pageDown, .wheelUp, .wheelDown].contains(key) { return answer(key, to: request) }
        if let request = approvals.first, dialog == nil, ![.pageUp, .pageDown, .wheelUp, .wheelDown].contains(key) {
            return answer(key, to: request)
        }
        if key != .control("c") { hint = nil }
        if dialog != nil { return handleDialog(key) }
        if key == .tab, completionIDsStale {
            editor.setCompletionTaskIDs(runningTasks.sorted().map(\.rawValue))
            completionIDsStale = false
        }
        if key == .control("t") {
            openDialog()
            return []
        }
        if pillFocused {
            pillFocused = false
            switch key {
            case .enter:
                openDialog()
                return []
            case .escape, .up, .down:
                return []
            default:
                break
            }
        }
        switch key {
        case .pageUp:
            transcript.scroll(by: max(1, transcriptHeight - 1), width: size.columns, height: transcriptHeight)
            return []
        case .pageDown:
            transcript.scroll(by: -max(1, transcriptHeight - 1), width: size.columns, height: transcriptHeight)
            return []
        case .wheelUp:
            transcript.scroll(by: Self.wheelStep, width: size.columns, height: transcriptHeight)
            return []
        case .wheelDown:
            transcript.scroll(by: -Self.wheelStep, width: size.columns, height: transcriptHeight)
            return []
        case .escape:
            if editor.isEmpty, takeBackQueued() { return [] }
            if turnRunning { return interruptTurn() }
            transcript.scrollToBottom()
            return []
        case .control("c"):
            return interruptSignal(now: now)
        case .control("l"):
            return [.repaint]
        case .control("b") where turnRunning && editor.isEmpty:
            // Ctrl+B moves the foreground work on; with text typed it stays the cursor key.
            if canMoveToBackground { return [.moveToBackground] }
            hint = StatusHint("nothing here can be moved to the background")
            return []
        case .up where editor.isEmpty:
            if takeBackQueued() { return [] }
        case .down where editor.isEmpty:
            pillFocused = true
            return []
        default:
            break
        }
        switch editor.handle(key) {
        case .submit(let line):
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { return [] }
            transcript.scrollToBottom()
            if let words = Self.panelCommand(trimmed) {
                setPanel(words)
                return []
            }
            queued.append(SlashCommandParser.isCommand(trimmed) ? trimmed : line)
            return releaseQueued()
        case .endOfInput:
            guard !commandInFlight else { return [] }
            commandInFlight = true
            return [.requestQuit]
        case .showCompletions(let candidates):
            hint = StatusHint(candidates.joined(separator: "  "))
            return []
        case .edited, .none:
            return []
        }
    }

    /// Ctrl-C (SIGINT): declines a question, interrupts the turn, clears typed text, or, twice
    /// within a second at an empty idle prompt, quits.
    public mutating func interruptSignal(now: ContinuousClock.Instant) -> [AppIntent] {
        guard closingMessage == nil else { return [] }
        if let request = confirmation { return answer(.escape, to: request) }
        if let request = approvals.first, dialog == nil { return answer(.escape, to: request) }
        if dialog != nil {
            // The first Ctrl-C only closes the dialog; the input keeps its text.
            dialog = nil
            return []
        }
        if turnRunning { return interruptTurn() }
        if !editor.isEmpty {
            editor.clear()
            return []
        }
        if let last = lastIdleInterrupt, last.duration(to: now) <= Self.doubleInterruptWindow {
            return [.quit(.interrupted)]
        }
        lastIdleInterrupt = now
        hint = StatusHint("Press Ctrl-C again to quit", isUrgent: true, expires: now.advanced(by: Self.doubleInterruptWindow))
        return []
    }

    private mutating func interruptTurn() -> [AppIntent] {
        guard !interrupting else { return [] }
        interrupting = true
        return [.interrupt]
    }

    /// A key at a question: the answer is a whole line, read at Enter; Esc, Ctrl-C and Ctrl-D say no.
    private mutating func answer(_ key: Key, to request: ConfirmationRequest) -> [AppIntent] {
        switch key {
        case .escape, .control("c"), .control("d"):
            return settle(request, yes: false, typed: "n")
        case .enter:
            let typed = answerLine.text.trimmingCharacters(in: .whitespaces)
            guard let yes = ConfirmationRequest.interpret(typed) else {
                answerLine = LineEditor()
                hint = StatusHint("Answer y or n", isUrgent: true)
                return []
            }
            return settle(request, yes: yes, typed: typed)
        default:
            typeAnswer(key)
            return []
        }
    }

    /// A key typed into an answer: edits the one line (history and completion keys do nothing,
    /// a pasted line break is not an Enter).
    private mutating func typeAnswer(_ key: Key) {
        if answerLine.typeInOneLine(key) { hint = nil }
    }

    /// A key at an approval request of the main agent: a whole line read at Enter (`y`, `a`,
    /// `n [reason]`); Esc, Ctrl-C and Ctrl-D deny.
    private mutating func answer(_ key: Key, to request: ApprovalRequest) -> [AppIntent] {
        let answer: ApprovalAnswer
        switch key {
        case .escape, .control("c"), .control("d"):
            answer = .deny(reason: nil)
        case .enter:
            guard let typed = ApprovalText.answer(answerLine.text) else {
                answerLine = LineEditor()
                hint = StatusHint("Answer y (once), a (always) or n [reason] (deny)", isUrgent: true)
                return []
            }
            answer = typed
        default:
            typeAnswer(key)
            return []
        }
        approvals.removeFirst()
        answerLine = LineEditor()
        hint = nil
        return [.answerApproval(id: request.id, answer)]
    }

    // MARK: The task dialog and the agents panel

    /// Tasks that ran before the front end started (from the session's overview).
    public mutating func seedTasks(_ tasks: [TaskSnapshot], at now: ContinuousClock.Instant = .now) {
        board.seed(tasks, at: now)
    }

    /// Opens the task dialog on its list (`/tasks`, Ctrl-T, Enter on the focused pill).
    public mutating func openDialog() {
        dialog = TaskDialog()
        // It opens on the oldest background call waiting for approval: y or n answers it.
        if let id = backgroundApprovals.first?.agent.taskID {
            dialog?.refresh(from: board)
            dialog?.select(id)
        }
        pillFocused = false
        hint = nil
    }

    /// The dialog as the renderer left it (its tree, selection and scroll follow the frame).
    mutating func updateDialog(_ dialog: TaskDialog) {
        guard self.dialog != nil else { return }
        self.dialog = dialog
    }

    /// The task whose transcript the detail needs fetched, once (the app fetches it and hands
    /// it to `receiveTranscript`).
    public mutating func takeTranscriptRequest() -> TaskID? {
        defer { transcriptRequest = nil }
        return transcriptRequest
    }

    /// A transcript fetched for the detail; returns true when the detail shows it.
    @discardableResult
    public mutating func receiveTranscript(_ lines: AgentTranscript, of id: TaskID) -> Bool {
        guard dialog?.page == .detail(id) else { return false }
        dialog?.receive(lines, of: id)
        return true
    }

    /// A key while the dialog is open: the dialog's, never the input's.
    private mutating func handleDialog(_ key: Key) -> [AppIntent] {
        guard var dialog else { return [] }
        // y/n answer the selected task's oldest call waiting for approval.
        if dialog.message == nil, key == .character("y") || key == .character("n"), let id = dialog.selectedTaskID,
           let request = backgroundApprovals.first(where: { $0.agent.taskID == id }) {
            let answer: ApprovalAnswer = key == .character("y") ? .once : .deny(reason: nil)
            board.removeApproval(id: request.id)
            dialog.notice = "\(ApprovalText.verdict(answer)) for \(id): \(ApprovalText.headline(request.subject))"
            self.dialog = dialog
            return [.answerApproval(id: request.id, answer)]
        }
        // Keys read in one batch may come before the next frame: the list must be current.
        dialog.refresh(from: board)
        let action = dialog.handle(key, board: board)
        self.dialog = dialog
        switch action {
        case .none:
            return []
        case .close:
            self.dialog = nil
            return []
        case .stop(let id):
            commandInFlight = true
            return [.stopTask(id)]
        case .pause(let id):
            commandInFlight = true
            return [.pauseTask(id)]
        case .resume(let id):
            commandInFlight = true
            return [.resumeTask(id)]
        case .sendMessage(let id, let text):
            commandInFlight = true
            return [.sendMessage(id, text)]
        case .stopAll:
            commandInFlight = true
            return [.stopAll]
        case .fetchTranscript(let id):
            return [.fetchTranscript(id)]
        }
    }

    /// `/panel`, `/panel on`, `/panel off`: the words after `/panel`, nil for any other line.
    static func panelCommand(_ line: String) -> [Substring]? {
        let words = line.split(whereSeparator: \.isWhitespace)
        guard words.first == "/panel" else { return nil }
        return Array(words.dropFirst())
    }

    /// Turns the agents panel on or off, and says so (a front-end setting: the session never sees it).
    private mutating func setPanel(_ words: [Substring]) {
        append([TranscriptLine("› /panel" + words.map { " " + $0 }.joined(), style: .user)])
        switch words.map({ $0.lowercased() }) {
        case ["on"]:
            panel.isEnabled = true
            append([TranscriptLine("The agents panel is on: background work shows above the status line while it runs.", style: .notice)])
        case ["off"]:
            panel.isEnabled = false
            append([TranscriptLine("The agents panel is off (/panel on shows it again; /tasks lists every task).", style: .notice)])
        case []:
            append([TranscriptLine("The agents panel is \(panel.isEnabled ? "on" : "off"). Usage: /panel on|off", style: .notice)])
        default:
            append([TranscriptLine("Usage: /panel on|off", style: .error)])
        }
    }

    /// Puts the newest queued line back into the (empty) input; false when nothing is queued.
    private mutating func takeBackQueued() -> Bool {
        guard let last = queued.popLast() else { return false }
        editor.setText(last)
        return true
    }

    private mutating func settle(_ request: ConfirmationRequest, yes: Bool, typed: String) -> [AppIntent] {
        commandInFlight = true
        confirmation = nil
        answerLine = LineEditor()
        hint = nil
        append([TranscriptLine("\(request.prompt) \(typed)", style: .user)])
        return [.answer(yes)]
    }
}
