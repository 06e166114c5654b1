import Foundation
import MusterCore

/// The one line a front end prints on the normal screen after it shut the session down.
public enum ExitSummary {
    /// `2 background agents were cancelled at exit.`, plus any task that did not stop in time.
    /// `killed`: tasks whose tool processes were killed (SIGKILL) because they did not stop.
    public static func line(for report: TaskRegistry.ShutdownReport, grace: Duration? = nil, killed: Set<TaskID> = []) -> String {
        let background = report.cancelled.filter { $0.mode == .background && $0.kind == .agent }.count
        let others = report.cancelled.count - background
        var text: String
        switch background {
        case 0: text = "No background agents were running at exit"
        case 1: text = "1 background agent was cancelled at exit"
        default: text = "\(background) background agents were cancelled at exit"
        }
        if others > 0 { text += " (and \(others) other \(others == 1 ? "task" : "tasks"))" }
        text += "."
        // A straggler's work went on past the grace period; what happened to it is said as it is:
        // its processes were killed, or its work (no process of its own) was left unfinished.
        let within = grace.map { " within \($0.humanReadable)" } ?? " in time"
        let name = { (task: TaskSnapshot) in "\(task.id) \(TerminalSanitizer.sanitize(task.name))" }
        let killedTasks = report.stragglers.filter { killed.contains($0.id) }
        let abandoned = report.stragglers.filter { !killed.contains($0.id) }
        if !killedTasks.isEmpty {
            let after = grace.map { " after \($0.humanReadable)" } ?? " at exit"
            text += " Processes killed\(after) (they did not stop): \(killedTasks.map(name).joined(separator: ", "))."
        }
        if !abandoned.isEmpty {
            text += " Did not stop\(within): \(abandoned.map(name).joined(separator: ", "))."
        }
        return text
    }

    /// Said after the summary line: which session this was, where its log is, and how to resume
    /// it (`Session 3f2a1b0c · log: … · resume: muster --resume 3f2a1b0c`); without a log there
    /// is nothing to resume from.
    public static func sessionNote(sessionID: String, logFile: URL?) -> String {
        let id = TerminalSanitizer.sanitize(sessionID)
        guard let logFile else { return "Session \(id) · log: not written" }
        return "Session \(id) · log: \(TerminalSanitizer.sanitize(logFile.path)) · resume: muster --resume \(id)"
    }
}
