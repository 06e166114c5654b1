import MusterCore
import MusterPresentation

/// The task dialog's state: the list (a tree of tasks, the selection, the scroll position), the
/// detail of one task (its live transcript, scrolled or following), a stop waiting for its
/// second `x`, and a message being typed for an agent (`m`). A value with no I/O: keys go in, a
/// `TaskDialog.Action` comes out.
public struct TaskDialog: Sendable {
    /// Which page shows.
    public enum Page: Sendable, Equatable {
        case list
        case detail(TaskID)
    }

    /// What the app must do after a key.
    public enum Action: Sendable, Equatable {
        case none
        /// Close the dialog; focus goes back to the input.
        case close
        /// Stop this task (`SessionOp.cancelTask`).
        case stop(TaskID)
        /// Stop everything after the session's y/n question (`SessionOp.cancelAll`).
        case stopAll
        /// Pause this agent (`SessionOp.pauseTask`).
        case pause(TaskID)
        /// Resume this paused agent (`SessionOp.resumeTask`).
        case resume(TaskID)
        /// Put this message in the agent's inbox (`SessionOp.sendMessage`).
        case sendMessage(TaskID, String)
        /// Fetch this task's transcript for the detail.
        case fetchTranscript(TaskID)
    }

    public private(set) var page: Page = .list
    public private(set) var tree = TaskTree()
    /// The selected row of `tree.rows`.
    public private(set) var selected = 0
    /// The first list row on screen.
    public private(set) var top = 0
    /// The task a first `x` asked to stop, with what a second `x` would stop.
    public private(set) var armedStop: (id: TaskID, message: String)?
    /// One line the dialog says until the next key (a reply to a stop, say).
    public var notice: String?
    /// The message being typed for an agent after `m` (Enter sends it, Esc cancels): it has
    /// every key until then.
    public private(set) var message: (id: TaskID, editor: LineEditor)?
    /// The detail's transcript, once fetched, and whose it is.
    public private(set) var transcript: (id: TaskID, lines: AgentTranscript)?
    /// The first detail body row on screen; nil follows the newest output.
    public private(set) var detailTop: Int?

    /// Rows the last frame had for the list and for the detail's body (keys page by them).
    var listHeight = 10
    var detailHeight = 10
    var detailLineCount = 0

    private var selectedID: TaskID?
    private var treeRevision: Int?
    private var expanded: Set<TaskID> = []

    /// A dialog on its list, the first row selected.
    public init() {}

    /// The task the list's selection is on (nil on a count row or an empty list).
    public var selectedTaskID: TaskID? {
        tree.rows.indices.contains(selected) ? tree.rows[selected].taskID : nil
    }

    // MARK: Following the board

    /// Rebuilds the tree when the board changed; the selection stays on its task.
    public mutating func refresh(from board: TaskBoard) {
        guard treeRevision != board.structureRevision else { return }
        treeRevision = board.structureRevision
        tree = TaskTree(
            nodes: board.entries.values.lazy.map { TaskTree.Node($0.snapshot) }, expanded: expanded, waiting: board.waitingForApproval
        )
        if let selectedID, let index = tree.rows.firstIndex(where: { $0.taskID == selectedID }) {
            selected = index
        }
        clampSelection()
    }

    /// Keeps the selection on screen for a list of `height` rows.
    mutating func layoutList(height: Int) {
        listHeight = max(1, height)
        let count = tree.rows.count
        top = min(top, max(0, count - listHeight))
        if selected < top { top = selected }
        if selected >= top + listHeight { top = selected - listHeight + 1 }
        top = max(0, top)
    }

    /// Notes the detail body's size from the last frame; returns the first body row to show.
    mutating func layoutDetail(lines: Int, height: Int) -> Int {
        detailLineCount = lines
        detailHeight = max(1, height)
        let last = max(0, lines - detailHeight)
        guard let detailTop else { return last }
        if detailTop >= last { self.detailTop = nil }
        return min(detailTop, last)
    }

    /// Takes a transcript that was fetched; ignored unless its task's detail is open.
    public mutating func receive(_ lines: AgentTranscript, of id: TaskID) {
        guard page == .detail(id) else { return }
        transcript = (id, lines)
    }

    // MARK: Keys

    /// Applies a key; `board` says what a stop would take with it.
    public mutating func handle(_ key: Key, board: TaskBoard) -> Action {
        if let message { return handleMessage(key, to: message.id, editor: message.editor, board: board) }
        notice = nil
        let armed = armedStop
        armedStop = nil
        switch page {
        case .list: return handleList(key, board: board, armed: armed)
        case .detail(let id): return handleDetail(key, id: id, board: board, armed: armed)
        }
    }

    private mutating func handleList(_ key: Key, board: TaskBoard, armed: (id: TaskID, message: String)?) -> Action {
        switch key {
        case .up, .character("k"): move(to: selected - 1)
        case .down, .character("j"): move(to: selected + 1)
        case .pageUp: move(to: selected - max(1, listHeight - 1))
        case .pageDown: move(to: selected + max(1, listHeight - 1))
        case .home: move(to: 0)
        case .end: move(to: tree.rows.count - 1)
        case .wheelUp: move(to: selected - InteractiveState.wheelStep)
        case .wheelDown: move(to: selected + InteractiveState.wheelStep)
        case .enter, .right:
            guard tree.rows.indices.contains(selected) else { return .none }
            switch tree.rows[selected].content {
            case .task(let id):
                return open(id)
            case .collapsed(let parent, _, _):
                expanded.insert(parent)
                treeRevision = nil
                refresh(from: board)
            }
        case .escape, .left, .control("t"):
            return .close
        case .character("x"), .character("p"), .character("r"), .character("m"):
            guard let task = selectedTaskID.flatMap(board.snapshot(of:)) else { return .none }
            return act(key, on: task, board: board, armed: armed)
        case .character("X"):
            return .stopAll
        default:
            break
        }
        return .none
    }

    private mutating func handleDetail(_ key: Key, id: TaskID, board: TaskBoard, armed: (id: TaskID, message: String)?) -> Action {
        let last = max(0, detailLineCount - detailHeight)
        let current = detailTop ?? last
        switch key {
        case .up, .character("k"): scrollDetail(to: current - 1, last: last)
        case .down, .character("j"): scrollDetail(to: current + 1, last: last)
        case .pageUp: scrollDetail(to: current - max(1, detailHeight - 1), last: last)
        case .pageDown: scrollDetail(to: current + max(1, detailHeight - 1), last: last)
        case .home: scrollDetail(to: 0, last: last)
        case .wheelUp: scrollDetail(to: current - InteractiveState.wheelStep, last: last)
        case .wheelDown: scrollDetail(to: current + InteractiveState.wheelStep, last: last)
        case .end: detailTop = nil
        case .escape, .left:
            page = .list
            transcript = nil
            detailTop = nil
        case .control("t"):
            return .close
        case .character("x"), .character("p"), .character("r"), .character("m"):
            guard let task = board.snapshot(of: id) else { return .none }
            return act(key, on: task, board: board, armed: armed)
        case .character("X"):
            return .stopAll
        default:
            break
        }
        return .none
    }

    private mutating func open(_ id: TaskID) -> Action {
        page = .detail(id)
        transcript = nil
        detailTop = nil
        return .fetchTranscript(id)
    }

    /// Selects task `id`'s row, when the list shows it (the dialog opens on a task waiting for approval).
    public mutating func select(_ id: TaskID) {
        if let index = tree.rows.firstIndex(where: { $0.taskID == id }) { move(to: index) }
    }

    private mutating func move(to index: Int) {
        selected = index
        clampSelection()
    }

    private mutating func clampSelection() {
        selected = max(0, min(selected, tree.rows.count - 1))
        selectedID = selectedTaskID
    }

    private mutating func scrollDetail(to row: Int, last: Int) {
        detailTop = row >= last ? nil : max(0, row)
    }

    /// `x`, `p`, `r` or `m` on `task`. A key the session would refuse for a task that has ended
    /// (as it may have between the frame and the key) is refused here with the session's words;
    /// anything else goes to the session, whose reply the dialog shows.
    private mutating func act(_ key: Key, on task: TaskSnapshot, board: TaskBoard, armed: (id: TaskID, message: String)?) -> Action {
        switch key {
        case .character("p"):
            guard !task.isTerminal else { return refuse(.notPausable(task)) }
            return .pause(task.id)
        case .character("r"):
            guard !task.isTerminal else { return refuse(.notPaused(task)) }
            return .resume(task.id)
        case .character("m"):
            guard Self.takesMessages(task) else { return refuse(.messageRefused(task)) }
            message = (task.id, LineEditor())
            return .none
        default:
            return stop(task, board: board, armed: armed)
        }
    }

    /// Says the session's reply to a request it would refuse, without asking it.
    private mutating func refuse(_ reply: CommandReply) -> Action {
        notice = ReplyFormatter.lines(for: reply).first?.text
        return .none
    }

    /// A key while a message is typed: Enter sends it (nothing, when it is blank), Esc cancels;
    /// the rest edits the line.
    private mutating func handleMessage(_ key: Key, to id: TaskID, editor: LineEditor, board: TaskBoard) -> Action {
        switch key {
        case .escape, .control("t"):
            message = nil
            return .none
        case .enter:
            message = nil
            let text = editor.text.trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty, let task = board.snapshot(of: id) else { return .none }
            // The agent may have ended while the message was typed.
            guard Self.takesMessages(task) else { return refuse(.messageRefused(task)) }
            return .sendMessage(id, text)
        default:
            var editor = editor
            _ = editor.typeInOneLine(key)
            message = (id, editor)
            return .none
        }
    }

    // MARK: The keys that apply

    /// An agent that reads messages: not ended, not stopping.
    static func takesMessages(_ task: TaskSnapshot) -> Bool {
        task.kind == .agent && !task.isTerminal && !task.isStopping
    }

    /// `y approve · n deny` for a task that waits for approval: first on the bottom line.
    static func approvalKeys(asking: Bool) -> [(long: String, short: String)] {
        asking ? [("y approve", "y approve"), ("n deny", "n deny")] : []
    }

    /// The keys that act on `task` (nil: none selected), for the bottom line: long and short forms.
    static func actionKeys(for task: TaskSnapshot?) -> [(long: String, short: String)] {
        guard let task else { return [] }
        var keys: [(long: String, short: String)] = []
        if task.isPaused {
            keys.append(("r resume", "r resume"))
        } else if takesMessages(task) {
            keys.append(("p pause", "p pause"))
        }
        if takesMessages(task) { keys.append(("m message", "m msg")) }
        if !task.isTerminal, !task.isStopping { keys.append(("x stop", "x stop")) }
        return keys
    }

    /// `x`: stops a background task at once; a foreground agent, or a task with running
    /// children, first says what else stops and waits for a second `x`.
    private mutating func stop(_ task: TaskSnapshot, board: TaskBoard, armed: (id: TaskID, message: String)?) -> Action {
        // A task's name comes from a model: shown inert, as everything else is.
        let label = TerminalSanitizer.sanitize(task.label)
        if task.isTerminal {
            notice = "\(label) has already ended."
            return .none
        }
        if task.isStopping {
            notice = "\(label) is already stopping."
            return .none
        }
        let children = board.runningDescendants(of: task.id)
        guard task.mode == .foreground || !children.isEmpty, armed?.id != task.id else { return .stop(task.id) }
        var message = "x again stops \(label)"
        if task.mode == .foreground { message += " (the foreground turn waits for it)" }
        if !children.isEmpty {
            let ids = children.prefix(3).map(\.id.description).joined(separator: ", ") + (children.count > 3 ? ", …" : "")
            message += " and the \(children.count) running \(children.count == 1 ? "task" : "tasks") it launched (\(ids))"
        }
        message += " · any other key keeps \(children.isEmpty ? "it" : "them")"
        armedStop = (task.id, message)
        return .none
    }
}
