/// The one line a front end prints on the normal screen after it shut the session down.
public enum ExitSummary {
    /// `2 background agents were cancelled at exit.`, plus any task that did not stop in time.
    public static func line(for report: TaskRegistry.ShutdownReport, grace: Duration? = nil) -> String {
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
        if !report.stragglers.isEmpty {
            let ids = report.stragglers.map { "\($0.id) \(TerminalSanitizer.sanitize($0.name))" }.joined(separator: ", ")
            let within = grace.map { " within \($0.humanReadable)" } ?? " in time"
            text += " Did not stop\(within): \(ids)."
        }
        return text
    }
}
