import Foundation

/// What a session log holds for a restart (`--continue`, `--resume`): every agent's
/// conversation, the background agents that had not finished (to come back paused), the tasks
/// that had, and which of their results never reached their spawner. A pure reading of the
/// log's lines: a line that does not parse (a torn last line, a record of an unknown type) is
/// skipped and counted, never fatal.
public struct SessionLogRestore: Sendable {
    /// A background agent the log shows started and not finished.
    public struct Unfinished: Sendable, Equatable {
        /// Its id in the earlier session.
        public let id: TaskID
        public let name: String
        public let prompt: String
        public let spawner: Spawner
        /// Its conversation up to the last record (empty if none was written).
        public let conversation: [ChatMessage]
    }

    /// The session's `session_start` (nil when the log holds none for it: not a session log).
    public private(set) var start: SessionStart?
    /// The log has the session's `session_end`: it ended properly.
    public private(set) var hasEnd = false
    /// The main agent's conversation up to the last record.
    public private(set) var mainConversation: [ChatMessage] = []
    /// Background agents that were running (or paused) when the log ends, or were stopped by its
    /// end (cancelled at shutdown), in id order.
    public private(set) var unfinished: [Unfinished] = []
    /// Tasks that ended, with their final state, in id order.
    public private(set) var finished: [TaskSnapshot] = []
    /// Other tasks that had not finished (foreground agents, shells): their work died with the
    /// session, so they come back ended, as interrupted.
    public private(set) var interrupted: [TaskSnapshot] = []
    /// Finished background tasks whose result never reached their spawner's conversation, while
    /// the spawner is the main agent or an unfinished agent: they are to be delivered once.
    public private(set) var undelivered: Set<TaskID> = []
    /// Lines that could not be read.
    public private(set) var skippedLines = 0
    /// The last line was torn (it does not parse): the session was killed while writing it.
    public private(set) var tornLastLine = false
    /// Conversation records that could not be applied (one before them is missing).
    public private(set) var skippedRecords = 0
    /// `conversation` records read (a log written before they existed has none).
    public private(set) var conversationRecords = 0

    /// Reads `lines` (one record each, in log order). `sessionID`: only that session's records
    /// (a `--log-file` may hold several); nil takes the last session in the lines.
    public init(lines: some Sequence<some StringProtocol>, sessionID: String? = nil) {
        var reader = Reader(sessionID: sessionID)
        var previous: Data?
        for line in lines {
            if let previous { reader.take(previous, isLast: false) }
            previous = Data(line.utf8)
        }
        if let previous { reader.take(previous, isLast: true) }
        self = reader.finish()
    }

    /// Reads the log file at `url` a chunk at a time; nil when it cannot be opened (or is not a
    /// regular file).
    public static func read(_ url: URL, sessionID: String? = nil) -> SessionLogRestore? {
        var reader = Reader(sessionID: sessionID)
        guard SessionLogLines.read(url, { line, terminated in
            reader.take(line, isLast: !terminated)
            return true
        }) else { return nil }
        return reader.finish()
    }

    private init() {}

    /// The record types a restart reads; every other known type is skipped unparsed (the log is
    /// mostly tool output), and an unknown one is parsed, so it is counted as unreadable.
    private static let uninteresting: Set<Substring> = [
        "user_input", "slash_command", "turn_start", "turn_end", "text_delta", "assistant_message", "tool_start",
        "tool_progress", "tool_end", "task_updated", "results_waiting", "message_queued", "message_read",
        "message_dropped", "model_usage", "warning", "command_reply", "tool_process", "result",
    ]

    private struct Reader {
        let sessionID: String?
        var restore = SessionLogRestore()
        var conversations = ConversationRestorer()
        var started: [TaskID: TaskSnapshot] = [:]
        var ended: [TaskID: TaskSnapshot] = [:]
        /// The session's id once its start is read (when none was asked for: the last one's).
        var current: String?
        let decoder = JSONDecoder()
        /// Conversation records by agent (nil: the main agent), in log order, most not decoded yet.
        var deferred: [TaskID?: [Deferred]] = [:]

        enum Deferred {
            case line(Data)
            case record(SessionEvent)
        }

        init(sessionID: String?) {
            self.sessionID = sessionID
            self.current = sessionID
        }

        mutating func take(_ line: Data, isLast: Bool) {
            guard line.contains(where: { ![0x20, 0x09, 0x0D, 0x0A].contains($0) }) else { return }
            // Known types that do not matter are passed over without decoding; the last line is
            // always decoded, so a torn one is found whatever its type.
            let type = SessionLogLines.type(of: line)
            if !isLast, let type, SessionLogRestore.uninteresting.contains(type) { return }
            // The bulk (conversations, tasks) is decoded without the envelope's time, whose
            // parsing cost more than the rest; a line that does not decode so is read whole
            // below, to be counted as it deserves.
            // Conversations are kept undecoded by agent until the end shows whose are needed:
            // the main agent's and those of agents that did not finish (most records, in a
            // long session, belong to agents that finished).
            if !isLast, type == "conversation", let agent = SessionLogRestore.conversationAgent(of: line) {
                restore.conversationRecords += 1
                deferred[agent, default: []].append(.line(line))
                return
            }
            if !isLast, let type, Probe.types.contains(type), let probe = try? decoder.decode(Probe.self, from: line),
               let event = probe.event(type: type) {
                take(event, sessionID: probe.sessionID)
                return
            }
            guard let record = try? decoder.decode(SessionRecord.self, from: line) else {
                restore.skippedLines += 1
                if isLast { restore.tornLastLine = true }
                return
            }
            if case .sessionStart(let start) = record.event, sessionID == nil || start.sessionID == sessionID {
                // A --log-file can hold several sessions: without an id, the last one counts.
                if sessionID == nil { self = Reader(sessionID: nil, skipped: restore.skippedLines, torn: restore.tornLastLine) }
                restore.start = start
                current = start.sessionID
                return
            }
            take(record.event, sessionID: record.sessionID)
        }

        private mutating func take(_ event: SessionEvent, sessionID recordSession: String?) {
            // Before any start (lines without one, as in tests) every record counts.
            if let current, recordSession != current { return }
            switch event {
            case .conversation(let record):
                restore.conversationRecords += 1
                deferred[record.agent.taskID, default: []].append(.record(event))
            case .task(.started(let task)):
                started[task.id] = task
            case .task(.finished(let task)):
                ended[task.id] = task
            case .sessionEnd:
                restore.hasEnd = true
            default:
                break
            }
        }

        private init(sessionID: String?, skipped: Int, torn: Bool) {
            // (The deferred conversations of an earlier session in the file go with it.)
            self.init(sessionID: sessionID)
            restore.skippedLines = skipped
            restore.tornLastLine = torn
        }

        mutating func finish() -> SessionLogRestore {
            var restore = self.restore
            let interrupted = { (task: TaskSnapshot) in task.kind == .agent && task.mode == .background && task.status == .cancelled(by: .shutdown) }
            // The conversations a restart needs: the main agent's and the unfinished agents'.
            var needed: Set<TaskID?> = [nil]
            for (id, task) in started where ended[id].map(interrupted) ?? true { needed.insert(id) }
            for agent in needed {
                for item in deferred[agent] ?? [] {
                    switch item {
                    case .record(let event):
                        conversations.apply(event)
                    case .line(let line):
                        guard let probe = try? decoder.decode(Probe.self, from: line), let event = probe.event(type: "conversation") else {
                            restore.skippedLines += 1
                            continue
                        }
                        if let current, probe.sessionID != current { continue }
                        conversations.apply(event)
                    }
                }
            }
            let all = conversations.conversations
            restore.skippedRecords = conversations.skipped
            restore.mainConversation = all[nil] ?? []
            for id in started.keys.sorted() {
                // A background agent stopped by the session's own end (quit, a signal) was
                // interrupted like one the session died under: it comes back paused too.
                if let end = ended[id], !interrupted(end) {
                    restore.finished.append(end)
                } else if let task = started[id] {
                    if task.kind == .agent, task.mode == .background {
                        restore.unfinished.append(Unfinished(
                            id: id, name: task.name, prompt: task.description, spawner: task.spawner,
                            conversation: all[id] ?? []
                        ))
                    } else {
                        restore.interrupted.append(task)
                    }
                }
            }
            // A result is delivered once its spawner's conversation holds it (an inbox delivery
            // or a `wait_task` answer): not when it was taken from the inbox, since a kill
            // between the two would lose it.
            let living = Set(restore.unfinished.map(\.id))
            var delivered: [TaskID?: Set<TaskID>] = [:]
            for task in restore.finished where task.mode == .background {
                let spawner = task.spawner.taskID
                if let parent = spawner, !living.contains(parent) { continue }
                if delivered[spawner] == nil { delivered[spawner] = SessionLogRestore.deliveredResults(in: all[spawner] ?? []) }
                if delivered[spawner]?.contains(task.id) != true { restore.undelivered.insert(task.id) }
            }
            return restore
        }
    }

    /// The fields of the records a restart reads, without the envelope's `seq` and `time`.
    private struct Probe: Decodable {
        static let types: Set<Substring> = ["conversation", "task_started", "task_finished"]
        var sessionID: String?
        var agent: String?
        var taskID: TaskID?
        var start: Int?
        var messages: [ChatMessage]?
        var task: TaskSnapshot?

        enum CodingKeys: String, CodingKey {
            case sessionID = "session_id", agent, taskID = "task_id", start, messages, task
        }

        func event(type: Substring) -> SessionEvent? {
            switch type {
            case "conversation":
                guard let agent, let start, let messages else { return nil }
                return .conversation(ConversationRecord(agent: AgentRef(name: agent, taskID: taskID), from: start, messages: messages))
            case "task_started": return task.map { .task(.started($0)) }
            case "task_finished": return task.map { .task(.finished($0)) }
            default: return nil
            }
        }
    }

    /// Whose a `conversation` line is, read from its end without decoding it: the recorder
    /// writes keys sorted, so `"task_id":N}` (or `null`) closes the line, and no string inside
    /// can hold that text unescaped. Nil for a line written otherwise (it is then decoded at once).
    static func conversationAgent(of line: Data) -> TaskID?? {
        let key = Array(#""task_id":"#.utf8)
        return line.withUnsafeBytes { raw -> TaskID?? in
            let bytes = raw.bindMemory(to: UInt8.self)
            guard bytes.count > key.count + 2, bytes[bytes.count - 1] == UInt8(ascii: "}") else { return nil }
            var start = bytes.count - 2
            while start > 0, bytes[start] != UInt8(ascii: ":") { start -= 1 }
            guard start >= key.count - 1, Array(bytes[(start - key.count + 1)...start]) == key else { return nil }
            let value = bytes[(start + 1)..<(bytes.count - 1)]
            if value.elementsEqual("null".utf8) { return .some(nil) }
            guard !value.isEmpty, value.count < 19, value.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            let number = value.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            return .some(TaskID(number))
        }
    }

    /// The tasks whose results a conversation holds: the framed messages of
    /// `BackgroundResultMessage`, as a user message (inbox) or a `wait_task` result.
    static func deliveredResults(in conversation: [ChatMessage]) -> Set<TaskID> {
        let opening = "<\(BackgroundResultMessage.tag) task=\"#"
        var ids = Set<TaskID>()
        for message in conversation {
            let text: String
            switch message {
            case .user(let content): text = content
            case .tool(_, "wait_task", let content): text = content
            default: continue
            }
            guard text.hasPrefix(opening) else { continue }
            let digits = text.dropFirst(opening.count).prefix { $0.isASCII && $0.isNumber }
            if let number = Int(digits) { ids.insert(TaskID(number)) }
        }
        return ids
    }
}
