import MusterCore

/// How approvals read, the same in every front end: the request (inert: every piece of the
/// command, path and diff goes through the sanitizer), the answer, the pill's `⚠ 1 needs you`.
public enum ApprovalText {
    /// The question under a foreground request: what to type.
    public static let prompt = "Approve? y once · a always · n [reason] deny ›"

    /// `Approved once`, `Approved always`, `Denied`, `Denied (reason)`.
    public static func verdict(_ answer: ApprovalAnswer) -> String {
        switch answer {
        case .once: "Approved once"
        case .always: "Approved always"
        case .deny(let reason): reason.map { "Denied (\(TerminalSanitizer.sanitize(TaskTable.oneLine($0))))" } ?? "Denied"
        }
    }

    /// `shell: make test` on one line, inert.
    public static func headline(_ subject: ApprovalSubject) -> String {
        TerminalSanitizer.sanitize(TaskTable.oneLine(subject.headline))
    }

    /// The answer a typed line gives: `y`/`yes`, `a`/`always`, `n`/`no` optionally followed by
    /// a reason; nil for anything else.
    public static func answer(_ typed: String) -> ApprovalAnswer? {
        let trimmed = typed.trimmingCharacters(in: .whitespaces)
        let word = trimmed.prefix { !$0.isWhitespace }.lowercased()
        let rest = trimmed.dropFirst(word.count).trimmingCharacters(in: .whitespaces)
        switch word {
        case "y", "yes": return rest.isEmpty ? .once : nil
        case "a", "always": return rest.isEmpty ? .always : nil
        case "n", "no": return .deny(reason: rest.isEmpty ? nil : rest)
        default: return nil
        }
    }

    /// The transcript lines of a request: who asks for what and where, and an edit's diff
    /// (additions green, removals red), every line sanitized.
    public static func lines(for request: ApprovalRequest) -> [TranscriptLine] {
        let who = request.agent.taskID.map { "\($0) \(TerminalSanitizer.sanitize(request.agent.name))" } ?? "The agent"
        var lines: [TranscriptLine] = []
        switch request.subject {
        case .shell(let command, let directory):
            lines.append(TranscriptLine("⚠ \(who) asks to run a shell command:", style: .warning))
            lines += TerminalSanitizer.lines(of: command).map { TranscriptLine("    $ " + $0, style: .tool) }
            lines.append(TranscriptLine("    in " + TerminalSanitizer.sanitize(directory), style: .dim))
        case .edit(let path, let diff, let summary):
            lines.append(TranscriptLine("⚠ \(who) asks to edit \(TerminalSanitizer.sanitize(path)) \(summary):", style: .warning))
            for line in TerminalSanitizer.lines(of: diff.hasSuffix("\n") ? String(diff.dropLast()) : diff).prefix(maxDiffLines) {
                let style: TranscriptLine.Style = line.hasPrefix("+") ? .success : line.hasPrefix("-") ? .error : line.hasPrefix("@@") ? .notice : .dim
                lines.append(TranscriptLine("    " + line, style: style))
            }
            let total = diff.split(separator: "\n", omittingEmptySubsequences: false).count - 1
            if total > maxDiffLines { lines.append(TranscriptLine("    … \(total - maxDiffLines) more diff lines", style: .dim)) }
        }
        if let id = request.agent.taskID {
            lines.append(TranscriptLine("  /tasks approve \(id.rawValue) or /tasks deny \(id.rawValue) [reason] (or y/n in /tasks)", style: .dim))
        }
        return lines
    }

    /// Diff lines shown in the transcript at most (the log has the whole diff).
    static let maxDiffLines = 60
}
