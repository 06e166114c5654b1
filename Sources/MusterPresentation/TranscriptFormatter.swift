import MusterCore
/// Turns session events into transcript lines, the same for the curses screen and plain mode.
///
/// Only the main agent speaks in the transcript; sub-agents show up through the pill,
/// `/tasks`, and one line when a background agent ends. Streamed text is emitted line by
/// line as each line completes; the unfinished rest is `streamingLine`.
public struct TranscriptFormatter: Sendable {
    /// Tool output lines shown under a finished call before the rest is summarised.
    public static let toolOutputPreview = 3
    /// Longest rendering of a tool call's arguments.
    static let argumentsWidth = 100

    private var tail = ""
    private var sawDeltas = false
    private var runningBackground: Set<TaskID> = []
    /// The main agent's calls in flight: background launches (shown as one line when they
    /// return) and calls whose output already streamed as progress (not shown again).
    private var launches: [String: String] = [:]
    private var streamedCalls: Set<String> = []

    /// Lines the front end adds to `/help` (its keys).
    public let helpFooter: [String]

    /// A formatter with nothing streamed yet; `helpFooter` ends the `/help` reply.
    public init(helpFooter: [String] = []) {
        self.helpFooter = helpFooter
    }

    /// The main agent's line being streamed right now, if any.
    public var streamingLine: TranscriptLine? {
        tail.isEmpty ? nil : TranscriptLine(tail)
    }

    /// The transcript lines `event` adds (often none).
    public mutating func lines(for event: SessionEvent) -> [TranscriptLine] {
        switch event {
        case .userInput(let text):
            var lines = flush()
            for (index, line) in TerminalSanitizer.lines(of: text).enumerated() {
                lines.append(TranscriptLine((index == 0 ? "› " : "  ") + line, style: .user))
            }
            return lines

        case .turnStart(_, .backgroundResults):
            return flush() + [TranscriptLine("Background results arrived; the main agent is reading them.", style: .notice)]
        case .turnStart:
            return []

        case .turnEnd(_, let outcome):
            var lines = flush()
            switch outcome {
            case .completed:
                break
            case .cancelled:
                let running = runningBackground.count
                let rest = switch running {
                case 0: ""
                case 1: " The background agent keeps running (see /tasks)."
                default: " \(running) background agents keep running (see /tasks)."
                }
                lines.append(TranscriptLine("Turn interrupted." + rest, style: .warning))
            case .failed(let error):
                lines += TranscriptLine.lines("Turn failed: \(error)", style: .error)
            }
            lines.append(.blank)
            return lines

        case .textDelta(let agent, let text) where agent.taskID == nil:
            sawDeltas = true
            tail += text
            var lines: [TranscriptLine] = []
            while let newline = tail.unicodeScalars.firstIndex(of: "\n") {
                var line = String(tail.unicodeScalars[..<newline])
                if line.unicodeScalars.last == "\r" { line.unicodeScalars.removeLast() }
                lines.append(TranscriptLine(line))
                tail = String(tail.unicodeScalars[tail.unicodeScalars.index(after: newline)...])
            }
            return lines

        case .assistantMessage(let agent, let text) where agent.taskID == nil:
            defer { sawDeltas = false }
            if sawDeltas { return flush() }
            return TranscriptLine.lines(text)

        case .toolStart(let agent, let callID, let tool, let arguments) where agent.taskID == nil:
            if tool == "agent", arguments["background"] == .bool(true) {
                launches[callID] = arguments["name"]?.stringValue ?? "agent"
                return flush()
            }
            return flush() + [TranscriptLine("  → \(tool) \(Self.describe(arguments))", style: .tool)]

        case .toolProgress(let agent, let callID, let line, _) where agent.taskID == nil:
            guard launches[callID] == nil else { return [] }
            streamedCalls.insert(callID)
            return TranscriptLine.lines(line, style: .toolOutput, indent: "    │ ")

        case .toolEnd(let agent, let callID, _, let output) where agent.taskID == nil:
            if let name = launches.removeValue(forKey: callID) { return Self.launchLines(name: name, output: output) }
            // Output that streamed as progress is not repeated; only a failure is worth a line.
            if streamedCalls.remove(callID) != nil, !output.isError { return [] }
            return Self.summary(of: output)

        case .task(let taskEvent):
            return lines(for: taskEvent)

        case .warning(let text):
            return flush() + TranscriptLine.lines("⚠ " + text, style: .warning)

        case .approvalRequested(let request):
            // A background agent's request goes above the message being streamed, not into it.
            return (request.agent.taskID == nil ? flush() : []) + ApprovalText.lines(for: request)
        case .approvalAnswered(_, let agent, let answer) where agent.taskID == nil:
            if case .deny = answer { return [TranscriptLine("  ✗ " + ApprovalText.verdict(answer), style: .error)] }
            return [TranscriptLine("  ✓ " + ApprovalText.verdict(answer), style: .success)]
        case .sessionStart, .toolProcess, .result, .sessionEnd, .conversation, .approvalAnswered:
            return []
        // A command's echo and reply go above a half-streamed line, which stays open.
        case .slashCommand(let command):
            return [TranscriptLine("› " + command, style: .user)]
        case .reply(let reply):
            return ReplyFormatter.lines(for: reply, helpFooter: helpFooter)
        case .textDelta, .assistantMessage, .toolStart, .toolProgress, .toolEnd, .modelUsage:
            return []
        }
    }

    /// Ends the streamed line, if one is open.
    public mutating func flush() -> [TranscriptLine] {
        guard !tail.isEmpty else { return [] }
        defer { tail = "" }
        return [TranscriptLine(tail)]
    }

    private mutating func lines(for event: TaskRegistryEvent) -> [TranscriptLine] {
        switch event {
        case .started(let task), .updated(let task):
            if task.countsAgainstCap, !task.isStopping { runningBackground.insert(task.id) } else { runningBackground.remove(task.id) }
            return []
        case .finished(let task):
            runningBackground.remove(task.id)
            // No flush: the main agent's half-streamed line stays open, not cut in two.
            guard task.mode == .background, let line = Self.completionLine(for: task) else { return [] }
            return [line]
        case .resultsWaiting:
            return []
        case .message(let event):
            return Self.messageLine(for: event).map { [$0] } ?? []
        }
    }

    /// What the person sees of their own message's fate: `#3 explore read your message.` when
    /// the agent reads it, or that it ended first (the receipt is the command's reply).
    /// Messages between agents show in `/tasks show`, not here.
    public static func messageLine(for event: AgentMessageEvent) -> TranscriptLine? {
        guard event.message.sender == .person else { return nil }
        let who = "\(event.message.taskID) \(TerminalSanitizer.sanitize(event.message.taskName))"
        switch event.stage {
        case .queued:
            return nil
        case .read:
            return TranscriptLine("\(who) read your message.", style: .notice)
        case .dropped(let status):
            return TranscriptLine("\(who) \(status) before reading your message.", style: .warning)
        }
    }

    /// `Background agent "explore" completed (task #3, 12.4s · 3.1k tokens · 7 tools).` and its
    /// failed / cancelled forms (an agent's usage is own + children; other tasks have none).
    public static func completionLine(for task: TaskSnapshot) -> TranscriptLine? {
        if task.kind == .shell { return shellCompletionLine(for: task) }
        let what = task.kind == .agent ? "Background agent" : "Background task"
        let name = TerminalSanitizer.sanitize(task.name)
        let usage = task.kind == .agent ? " · " + UsageText.summary(task.totalUsage) : ""
        let facts = "(task \(task.id), \(task.age.humanReadable)\(usage))"
        switch task.status {
        case .completed:
            return TranscriptLine("\(what) \"\(name)\" completed \(facts).", style: .success)
        case .failed(let error):
            var reason = TaskTable.oneLine(error)
            while reason.hasSuffix(".") { reason.removeLast() }
            return TranscriptLine("\(what) \"\(name)\" failed: \(reason) \(facts).", style: .error)
        case .cancelled:
            return TranscriptLine("\(what) \"\(name)\" was cancelled \(facts).", style: .warning)
        case .budgetExhausted(let reason, _):
            return TranscriptLine("\(what) \"\(name)\" stopped at its budget: \(TaskTable.oneLine(reason)) \(facts).", style: .warning)
        case .pending, .queued, .running, .paused:
            return nil
        }
    }

    /// `Background shell "npm run dev" completed: exit status 0 (task #4, 12.4s).`, `… failed:
    /// exit status 2 (…)`, `… failed: terminated by signal 9 (SIGKILL) (…)`, `… was cancelled (…)`.
    static func shellCompletionLine(for task: TaskSnapshot) -> TranscriptLine? {
        let name = TerminalSanitizer.sanitize(task.name)
        let facts = "(task \(task.id), \(task.age.humanReadable))"
        switch task.status {
        case .completed(let summary):
            let status = TaskTable.oneLine(String(summary.split(separator: "\n").first ?? "exit status 0"))
            return TranscriptLine("Background shell \"\(name)\" completed: \(status) \(facts).", style: .success)
        case .failed(let error):
            let status = TaskTable.oneLine(String(error.split(separator: "\n").first ?? ""))
            return TranscriptLine("Background shell \"\(name)\" failed: \(status) \(facts).", style: .error)
        case .cancelled:
            return TranscriptLine("Background shell \"\(name)\" was cancelled \(facts).", style: .warning)
        case .pending, .queued, .running, .paused, .budgetExhausted:
            return nil
        }
    }

    /// A background launch in the person's words: one line, `→ agent "tree" started in the
    /// background (task #1)`, or why it was not started. The tool's own text is for the model.
    static func launchLines(name: String, output: ToolOutput) -> [TranscriptLine] {
        let shown = TerminalSanitizer.sanitize(name)
        if output.isError {
            // The reason on a line of its own: it is a sentence, and it should read whole.
            return [
                TranscriptLine("  ✗ agent \"\(shown)\" not started:", style: .error),
                TranscriptLine("    " + TaskTable.oneLine(output.content), style: .error),
            ]
        }
        let id = output.content.firstMatch(of: /\(task (#[0-9]+)\)/).map { " (task \($0.output.1))" } ?? ""
        return [TranscriptLine("  → agent \"\(shown)\" started in the background\(id)", style: .tool)]
    }

    /// A tool call's arguments on one line: `name="explore" background=true`.
    static func describe(_ arguments: JSONValue) -> String {
        let text: String
        if let object = arguments.objectValue {
            text = object.keys.sorted().map { key in "\(key)=\(compact(object[key] ?? .null))" }.joined(separator: " ")
        } else {
            text = compact(arguments)
        }
        return DisplayWidth.truncate(TerminalSanitizer.sanitize(text), to: argumentsWidth)
    }

    private static func compact(_ value: JSONValue) -> String {
        switch value {
        case .string(let string):
            let flat = string.split(whereSeparator: \.isNewline).joined(separator: " ")
            return "\"" + (flat.count > 60 ? flat.prefix(59) + "…" : flat) + "\""
        default:
            return value.jsonText
        }
    }

    /// The first lines of a tool's output under its call, errors marked.
    static func summary(of output: ToolOutput) -> [TranscriptLine] {
        let all = TerminalSanitizer.lines(of: output.content.trimmingCharacters(in: .newlines))
        let content = all.count == 1 && all[0].isEmpty ? [] : all
        guard !content.isEmpty else {
            return [TranscriptLine(output.isError ? "  ✗ (error without a message)" : "    (no output)", style: output.isError ? .error : .dim)]
        }
        let shown = content.prefix(toolOutputPreview)
        var lines: [TranscriptLine] = []
        for (index, line) in shown.enumerated() {
            if output.isError {
                lines.append(TranscriptLine((index == 0 ? "  ✗ " : "    ") + line, style: .error))
            } else {
                lines.append(TranscriptLine("    " + line, style: .toolOutput))
            }
        }
        let hidden = content.count - shown.count
        if hidden > 0 {
            lines.append(TranscriptLine("    … \(hidden) more \(hidden == 1 ? "line" : "lines")", style: .dim))
        }
        return lines
    }
}
