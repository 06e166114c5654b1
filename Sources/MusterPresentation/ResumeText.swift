import Foundation
import MusterCore

/// How a restart (`--continue`, `--resume`) is worded: the notices about what came back, the
/// restored conversation on screen, the list of sessions, and the exit summary's resume hint.
/// Every text from a log (names, prompts, messages) is made inert here.
public enum ResumeText {
    /// The notices shown at start, one per line: what was resumed, the paused agents (or those
    /// resumed at once with `resumed`), interrupted tasks, and what the log could not give.
    ///
    /// `3 interrupted background agents restored as paused: #1 tree, #2 todos, #3 largest — /tasks resume all to continue`
    public static func notices(for resumed: ResumedSession, running: Set<TaskID> = []) -> [String] {
        var lines: [String] = []
        var opening = "Resumed session \(inert(resumed.sessionID)): \(count(resumed.messages, "message")) of the main conversation, \(count(resumed.finished, "finished task"))"
        if resumed.undelivered > 0 {
            opening += " (\(count(resumed.undelivered, "result")) not yet delivered, delivered now)"
        }
        lines.append(opening + ".")
        func names(_ agents: [ResumedSession.Agent]) -> String {
            agents.map { agent in
                let was = agent.id == agent.previousID ? "" : " (was \(agent.previousID))"
                return "\(agent.id) \(inert(agent.name))\(was)"
            }.joined(separator: ", ")
        }
        func noun(_ agents: [ResumedSession.Agent]) -> String {
            "\(agents.count) interrupted background agent\(agents.count == 1 ? "" : "s")"
        }
        let going = resumed.agents.filter { running.contains($0.id) }
        let paused = resumed.agents.filter { !running.contains($0.id) }
        if !going.isEmpty { lines.append("\(noun(going)) restored and resumed: \(names(going))") }
        if !paused.isEmpty {
            lines.append("\(noun(paused)) restored as paused: \(names(paused)) — /tasks resume all to continue")
        }
        if !resumed.interrupted.isEmpty {
            let names = resumed.interrupted.map { "\($0.id) \(inert($0.name))" }.joined(separator: ", ")
            lines.append("\(count(resumed.interrupted.count, "other task")) had not finished and cannot go on (listed as failed): \(names).")
        }
        if resumed.tornLastLine {
            lines.append("The log's last line was torn (the session was killed while writing it) and was skipped.")
        }
        let other = resumed.skippedLines - (resumed.tornLastLine ? 1 : 0)
        if other > 0 { lines.append("\(count(other, "line")) of the log could not be read and \(other == 1 ? "was" : "were") skipped.") }
        if resumed.lacksConversations {
            lines.append("The log holds no conversations (written by an earlier Muster): agents start again from their prompts.")
        }
        return lines
    }

    /// The restored main conversation as transcript lines: the person's messages and the main
    /// agent's answers, a line per background result it took; system and tool messages left out.
    public static func transcript(of conversation: [ChatMessage]) -> [TranscriptLine] {
        var formatter = TranscriptFormatter()
        var lines: [TranscriptLine] = []
        let opening = "<\(BackgroundResultMessage.tag) task=\""
        for message in conversation {
            switch message {
            case .user(let text) where text.hasPrefix(opening):
                let id = text.dropFirst(opening.count).prefix { $0 != "\"" }
                lines.append(TranscriptLine("  ← result of \(inert(id))", style: .dim))
            case .user(let text) where text.hasPrefix("[") && text.hasSuffix("]"):
                // Muster's own notes to the model (an interrupted turn, a restart).
                continue
            case .user(let text):
                lines += formatter.lines(for: .userInput(text: text))
            case .assistant(let text, let calls):
                if !text.isEmpty { lines += formatter.lines(for: .assistantMessage(agent: .main, text: text)) }
                for call in calls { lines.append(TranscriptLine("  → \(inert(call.name))", style: .tool)) }
            case .system, .tool:
                continue
            }
        }
        return lines + formatter.flush()
    }

    /// `muster --resume` with no id: the sessions of this workspace, newest first.
    public static func listing(_ sessions: [SessionSummary], workspace: String) -> [String] {
        guard !sessions.isEmpty else { return ["No earlier sessions in \(inert(workspace))."] }
        var lines = ["Sessions in \(inert(workspace)), newest first (muster --resume ID resumes one):"]
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        lines.append("ID        STARTED               TASKS              FIRST PROMPT")
        for session in sessions {
            let unfinished = session.tasks - session.finishedTasks
            var tasks = "\(session.tasks) (\(unfinished) unfinished)"
            if session.tasks == 0 { tasks = "0" }
            let prompt = session.firstPrompt.map { oneLine($0, limit: 60) } ?? "-"
            let ended = session.hasEnd ? "" : " [incomplete]"
            lines.append(
                pad(inert(session.sessionID), 10) + pad(formatter.string(from: session.startDate), 22) + pad(tasks, 19) + prompt + ended
            )
        }
        return lines
    }

    private static func inert(_ text: some StringProtocol) -> String { TerminalSanitizer.sanitize(text) }

    private static func oneLine(_ text: String, limit: Int) -> String {
        let flat = inert(text.split(whereSeparator: \.isNewline).joined(separator: " ↵ "))
        return flat.count > limit ? String(flat.prefix(limit - 1)) + "…" : flat
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    private static func count(_ number: Int, _ noun: String) -> String {
        "\(number) \(noun)\(number == 1 ? "" : "s")"
    }
}
