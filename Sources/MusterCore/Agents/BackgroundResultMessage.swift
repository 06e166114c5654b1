/// Renders a finished background task as the one delimited message its spawner's model sees.
///
/// Everything inside is escaped (`&`, `<`, `>`, `"`), so a tool's output can never forge
/// the framing, e.g. close the element early or fake another result.
public enum BackgroundResultMessage {
    /// The opening tag every such message starts with (scripts match on it).
    public static let tag = "background-result"

    /// The message text for `result`; `stillRunning` (when known) counts the spawner's background
    /// agents still running as it is delivered, so an answer can say what goes on.
    public static func render(_ result: TaskResult, stillRunning: Int? = nil) -> String {
        var lines: [String] = []
        let running = stillRunning.map { " still_running=\"\($0)\"" } ?? ""
        lines.append("<\(tag) task=\"\(result.id)\" name=\"\(escape(result.name))\" status=\"\(result.status.word)\" duration=\"\(result.duration.humanReadable)\"\(running)>")
        lines.append("<prompt>\(escape(result.description))</prompt>")
        if !result.trail.isEmpty {
            lines.append("<trace>")
            lines.append(contentsOf: result.trail.map { "- " + escape($0) })
            lines.append("</trace>")
        }
        switch result.status {
        case .completed(let summary):
            lines.append("<result>\n\(escape(summary))\n</result>")
        case .failed(let error):
            lines.append("<error>\(escape(error))</error>")
        case .cancelled(let source):
            lines.append("<error>cancelled \(escape(source.description))</error>")
        case .budgetExhausted(let reason, let report):
            lines.append("<result>\n\(escape(report))\n</result>")
            lines.append("<error>budget exhausted: \(escape(reason))</error>")
        case .pending, .queued, .running, .paused:
            lines.append("<error>not finished</error>")
        }
        lines.append("</\(tag)>")
        return lines.joined(separator: "\n")
    }

    /// Escapes text so it cannot contain markup.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }
}
