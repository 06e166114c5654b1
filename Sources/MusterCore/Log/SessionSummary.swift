import Foundation

/// One earlier session as `muster --resume` lists it: its id, when and where it ran, its first
/// prompt and how many tasks it ran and finished.
public struct SessionSummary: Sendable, Equatable {
    public var sessionID: String
    public var logFile: URL
    /// When its `session_start` was written.
    public var startDate: Date
    public var workspace: String
    public var pid: Int32
    public var schemaVersion: Int
    /// The person's first message (nil when there was none, or it was a command).
    public var firstPrompt: String?
    /// Tasks it started, and those of them that finished.
    public var tasks = 0
    public var finishedTasks = 0
    /// Its log has its `session_end`.
    public var hasEnd = false

    /// Reads the summary of the first session in the log at `url`; nil when the file does not
    /// start with a `session_start` record (not a session log). Only the records it counts are
    /// decoded.
    public static func read(_ url: URL) -> SessionSummary? {
        var summary: SessionSummary?
        var started = Set<TaskID>()
        var finished = Set<TaskID>()
        SessionLogLines.read(url) { line, _ in
            guard let type = SessionLogLines.type(of: line) else { return summary != nil }
            if summary == nil {
                guard type == "session_start", let record = try? JSONDecoder().decode(SessionRecord.self, from: line),
                      case .sessionStart(let start) = record.event else { return false }
                summary = SessionSummary(
                    sessionID: start.sessionID, logFile: url, startDate: record.time, workspace: start.metadata.workspace,
                    pid: start.pid, schemaVersion: start.schemaVersion
                )
                return true
            }
            switch type {
            case "session_start":
                // A second session in one file (a --log-file): the first one is summed up.
                return false
            case "user_input" where summary?.firstPrompt == nil:
                if let record = try? JSONDecoder().decode(SessionRecord.self, from: line), case .userInput(let text) = record.event {
                    summary?.firstPrompt = text
                }
            case "task_started", "task_finished":
                guard let probe = try? JSONDecoder().decode(TaskProbe.self, from: line) else { break }
                if type == "task_started" { started.insert(probe.task.id) } else { finished.insert(probe.task.id) }
            case "session_end":
                summary?.hasEnd = true
            default:
                break
            }
            return true
        }
        summary?.tasks = started.count
        summary?.finishedTasks = finished.intersection(started).count
        return summary
    }

    /// The `session_start` of the log at `url`, from its first line alone (nil when that is not one).
    public static func start(of url: URL) -> SessionStart? {
        var start: SessionStart?
        SessionLogLines.read(url) { line, _ in
            if let record = try? JSONDecoder().decode(SessionRecord.self, from: line), case .sessionStart(let found) = record.event {
                start = found
            }
            return false
        }
        return start
    }

    private struct TaskProbe: Decodable {
        struct Task: Decodable { var id: TaskID }
        var task: Task
    }
}
