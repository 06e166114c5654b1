import Foundation
import MusterCore
import MusterPresentation

/// Everything plain mode prints, in one place and one order: transcript lines from session
/// events and commands, and the pill as a line whenever it changes.
actor PlainConsole {
    private var formatter = TranscriptFormatter(helpFooter: FrontEnd.plainKeyHelp)
    private var pill: PillState
    private var lastPill: String
    private var showsPill = true
    private let echoInput: Bool
    private let output: @Sendable (String) -> Void
    /// True from a turn's start to its end (Ctrl-C interrupts it, or else asks to quit).
    private(set) var turnRunning = false
    /// Tasks that have not ended, told to `taskIDsChanged` (Tab completes their ids).
    private var openTasks: Set<TaskID> = []
    private let taskIDsChanged: (@Sendable ([Int]) -> Void)?
    /// The main agent's calls waiting for approval, oldest first: the next line typed answers
    /// the first.
    private var approvals: [ApprovalRequest] = []

    /// `echoInput` repeats the person's lines (useful when input is piped, noise on a terminal);
    /// `output` writes text (standard output by default).
    init(
        pill: PillState, echoInput: Bool, taskIDsChanged: (@Sendable ([Int]) -> Void)? = nil,
        output: @escaping @Sendable (String) -> Void = PlainConsole.writeToStandardOutput
    ) {
        self.pill = pill
        self.lastPill = pill.plainText
        self.echoInput = echoInput
        self.taskIDsChanged = taskIDsChanged
        self.output = output
    }

    /// Stops printing the pill (at shutdown, when every agent is being cancelled anyway).
    func hidePill() {
        showsPill = false
    }

    /// Prints what `event` adds, and the pill if it changed.
    func handle(_ event: SessionEvent) {
        switch event {
        case .turnStart: turnRunning = true
        case .turnEnd: turnRunning = false
        default: break
        }
        switch event {
        case .userInput where !echoInput, .slashCommand where !echoInput:
            _ = formatter.lines(for: event)
            return
        case .reply(.confirm(let request)):
            // The question on a line of its own; the next line typed is the answer.
            write(request.prompt + "\n")
            return
        case .reply(.unclearAnswer(let request)):
            write(request.reask + "\n")
            return
        default:
            break
        }
        var lines = formatter.lines(for: event)
        switch event {
        case .approvalRequested(let request) where request.agent.taskID == nil:
            approvals.append(request)
            if approvals.count == 1 { lines.append(TranscriptLine(ApprovalText.prompt, style: .warning)) }
        case .approvalAnswered(let id, _, _):
            let wasFirst = approvals.first?.id == id
            approvals.removeAll { $0.id == id }
            if wasFirst, !approvals.isEmpty { lines.append(TranscriptLine(ApprovalText.prompt, style: .warning)) }
        default:
            break
        }
        if pill.note(approval: event), showsPill, pill.plainText != lastPill {
            lastPill = pill.plainText
            lines.append(TranscriptLine(pill.plainText, style: .dim))
        }
        if case .task(let taskEvent) = event {
            pill.apply(taskEvent)
            trackOpenTask(taskEvent)
            if showsPill, pill.plainText != lastPill {
                lastPill = pill.plainText
                lines.append(TranscriptLine(pill.plainText, style: .dim))
            }
        }
        print(lines)
    }

    /// The answer `line` gives to the main agent's oldest waiting approval: nil when none
    /// waits (the line is ordinary input); `answer` nil when the line is no answer (asked again).
    func approvalAnswer(to line: String) -> (id: Int, answer: ApprovalAnswer?)? {
        guard let request = approvals.first else { return nil }
        guard let answer = ApprovalText.answer(line) else {
            print([TranscriptLine("Answer y (once), a (always) or n [reason] (deny).", style: .warning)])
            return (request.id, nil)
        }
        approvals.removeFirst()
        return (request.id, answer)
    }

    private func trackOpenTask(_ event: TaskRegistryEvent) {
        let before = openTasks
        switch event {
        case .started(let task), .updated(let task):
            if task.status.isTerminal { openTasks.remove(task.id) } else { openTasks.insert(task.id) }
        case .finished(let task):
            openTasks.remove(task.id)
        case .resultsWaiting, .message:
            break
        }
        if openTasks != before { taskIDsChanged?(openTasks.sorted().map(\.rawValue)) }
    }

    /// Prints transcript lines.
    func print(_ lines: [TranscriptLine]) {
        guard !lines.isEmpty else { return }
        write(lines.map { $0.text + "\n" }.joined())
    }

    /// Prints the rest of a streamed line, if any.
    func flush() {
        print(formatter.flush())
    }

    /// Prints raw text (a question without a newline).
    func write(_ text: String) {
        output(text)
    }

    /// Writes to standard output; errors (a closed pipe) are ignored: there is nobody left to tell.
    static let writeToStandardOutput: @Sendable (String) -> Void = { text in
        try? FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
    }
}
