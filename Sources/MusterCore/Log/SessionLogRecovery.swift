import Foundation

/// Finds out, when a session starts, whether the one before it left its log without a
/// `session_end` record (a crash, SIGKILL, power loss, a full disk) and which tasks were still
/// running in it.
public enum SessionLogRecovery {
    /// An earlier session that ended unexpectedly.
    public struct Finding: Sendable, Equatable {
        /// The log it was found in.
        public var logFile: URL
        public var sessionID: String?
        /// Tasks started and never finished, by id.
        public var interruptedTasks: [TaskSnapshot]
        /// Processes of its tool calls that were still running and have now been killed.
        public var stoppedProcesses = 0

        /// The sentence shown to the person.
        public var message: String {
            var text = SessionLogRecovery.message(interrupted: interruptedTasks)
            if stoppedProcesses > 0 {
                text += " Stopped \(stoppedProcesses) process\(stoppedProcesses == 1 ? "" : "es") its tools left running."
            }
            return text
        }
    }

    /// What one log file says about the last session it holds.
    public struct Inspection: Sendable, Equatable {
        /// The last session's `session_start` was found.
        public var hasStart = false
        /// The last session's `session_end` was found.
        public var hasEnd = false
        public var sessionID: String?
        public var pid: Int32?
        /// Every task of the last session in its last known state, by id.
        public var tasks: [TaskSnapshot] = []
        /// Lines that could not be read as records (a torn last line, foreign text).
        public var unreadableLines = 0
        /// Tool process groups of the last session that started and have no `ended` record.
        public var openToolProcesses: [ToolProcessRecord] = []
    }

    /// Looks at the newest earlier session for `location` (the sessions directory, or what a
    /// `--log-file` already holds); nil when it ended properly or there is none.
    /// Sessions whose process still runs are not "earlier": another Muster may be writing them.
    public static func check(
        location: SessionLogLocation,
        environment: [String: String],
        isProcessRunning: (Int32) -> Bool = SessionLogRecovery.isProcessRunning,
        stopSurvivors: ([ToolProcessRecord]) -> Int = SessionLogRecovery.stopSurvivors
    ) -> Finding? {
        switch location {
        case .disabled:
            return nil
        case .file(let url):
            return finding(in: url, isProcessRunning: isProcessRunning, stopSurvivors: stopSurvivors)
        case .sessionsDirectory:
            let directory = SessionLogLocation.sessionsDirectory(environment: environment)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            for name in names.filter({ $0.hasSuffix(".jsonl") }).sorted(by: >) {
                let url = directory.appendingPathComponent(name)
                let inspection = inspect(url)
                guard inspection.hasStart else { continue }
                if !inspection.hasEnd, let pid = inspection.pid, pid != getpid(), isProcessRunning(pid) { continue }
                return finding(from: inspection, in: url, stopSurvivors: stopSurvivors)
            }
            return nil
        }
    }

    /// The finding for one file's last session, if it lacks its end.
    static func finding(
        in url: URL, isProcessRunning: (Int32) -> Bool,
        stopSurvivors: ([ToolProcessRecord]) -> Int = SessionLogRecovery.stopSurvivors
    ) -> Finding? {
        let inspection = inspect(url)
        if let pid = inspection.pid, pid != getpid(), !inspection.hasEnd, isProcessRunning(pid) { return nil }
        return finding(from: inspection, in: url, stopSurvivors: stopSurvivors)
    }

    /// The finding of a session without its end; its tool processes that still run are stopped first.
    private static func finding(from inspection: Inspection, in url: URL, stopSurvivors: ([ToolProcessRecord]) -> Int) -> Finding? {
        guard inspection.hasStart, !inspection.hasEnd else { return nil }
        let stopped = inspection.openToolProcesses.isEmpty ? 0 : stopSurvivors(inspection.openToolProcesses)
        return Finding(
            logFile: url, sessionID: inspection.sessionID, interruptedTasks: inspection.tasks.filter { !$0.isTerminal },
            stoppedProcesses: stopped
        )
    }

    /// Kills (SIGKILL) the processes of tool calls an ended Muster left running: each recorded
    /// group whose leader is still the same process (same pid and start time; a pid alone may
    /// have been reused), and every process carrying one of the calls' markers (the marker holds
    /// the old Muster's pid and start time, so no other process has it). Returns how many.
    public static func stopSurvivors(_ records: [ToolProcessRecord]) -> Int {
        let table = ProcessTable.read()
        var targets = Set<pid_t>()
        for record in records {
            guard let leader = table.processes[record.processGroup], leader.isAlive,
                  leader.startTime == record.startTime, leader.groupID == record.processGroup else { continue }
            for (pid, status) in table.processes where status.groupID == record.processGroup && status.isAlive {
                targets.insert(pid)
            }
        }
        let entries = Set(records.map { "\(ToolProcessRegistry.markerVariable)=\($0.marker)" })
        let prefix = "\(ToolProcessRegistry.markerVariable)="
        for (pid, status) in table.processes where status.isAlive && pid != getpid() && !targets.contains(pid) {
            if ProcessTable.environmentEntries(of: pid, withPrefix: prefix).contains(where: entries.contains) {
                targets.insert(pid)
            }
        }
        for pid in targets { kill(pid, SIGKILL) }
        return targets.count
    }

    /// Reads a log a chunk at a time (logs can be large) and sums up its last session.
    /// Unreadable lines, such as a last line torn by a kill, are counted and skipped.
    public static func inspect(_ url: URL) -> Inspection {
        var inspection = Inspection()
        var tasks: [TaskID: TaskSnapshot] = [:]
        var processes: [String: ToolProcessRecord] = [:]
        func take(_ line: Data, terminated: Bool) -> Bool {
            guard !line.isEmpty else {
                // An overlong line dropped by the reader: its tail reads as one bad line.
                if !terminated { inspection.unreadableLines += 1 }
                return true
            }
            guard isOfInterest(line) else { return true }
            guard let probe = try? JSONDecoder().decode(Probe.self, from: line) else {
                inspection.unreadableLines += 1
                return true
            }
            switch probe.type {
            case "session_start":
                // A --log-file can hold several sessions: only the last one counts.
                inspection = Inspection(hasStart: true, sessionID: probe.sessionID, pid: probe.pid, unreadableLines: inspection.unreadableLines)
                tasks = [:]
                processes = [:]
            case "session_end":
                inspection.hasEnd = true
            case "task_started", "task_updated", "task_finished":
                if let task = probe.task, tasks[task.id]?.isTerminal != true { tasks[task.id] = task }
            case "tool_process":
                guard let record = try? JSONDecoder().decode(ToolProcessRecord.self, from: line) else { break }
                let key = "\(record.processGroup).\(record.startTime)"
                if record.event == .started { processes[key] = record } else { processes[key] = nil }
            default:
                break
            }
            return true
        }
        SessionLogLines.read(url, take)
        inspection.tasks = tasks.values.sorted { $0.id < $1.id }
        inspection.openToolProcesses = processes.values.sorted { $0.processGroup < $1.processGroup }
        return inspection
    }

    /// `The last session's log is incomplete (no end record: the session was killed, or could not write its end); 2 background agents had not finished: #3 explore, #4 grep.`
    ///
    /// Only what is known: a log without its end may come from a session that was killed, or
    /// from one that ended normally but could not write the end (a full disk).
    public static func message(interrupted: [TaskSnapshot], listing limit: Int = 10) -> String {
        let opening = "The last session's log is incomplete (no end record: the session was killed, or could not write its end)"
        guard !interrupted.isEmpty else { return opening + "." }
        let noun: String
        if interrupted.allSatisfy({ $0.kind == .agent && $0.mode == .background }) {
            noun = "background agent"
        } else if interrupted.allSatisfy({ $0.kind == .agent }) {
            noun = "agent"
        } else {
            noun = "task"
        }
        let count = interrupted.count
        var names = interrupted.prefix(limit).map(\.label).joined(separator: ", ")
        if count > limit { names += " and \(count - limit) more" }
        return "\(opening); \(count) \(noun)\(count == 1 ? "" : "s") had not finished: \(names)."
    }

    /// True when a process with that id exists (EPERM means it exists but belongs to another user).
    public static func isProcessRunning(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    /// Only session and task records matter; skip the rest without parsing them.
    private static func isOfInterest(_ line: Data) -> Bool {
        guard let type = SessionLogLines.type(of: line) else { return true }
        return type.hasPrefix("task_") || type.hasPrefix("session_") || type == "tool_process"
    }

    private struct Probe: Decodable {
        var type: String
        var sessionID: String?
        var pid: Int32?
        var task: TaskSnapshot?

        enum CodingKeys: String, CodingKey {
            case type, sessionID = "session_id", pid, task
        }
    }
}
