/// What a session log holds for a restart: every agent's conversation, the background agents that
/// had not finished (to come back paused), and the tasks that had. A pure reading of the log's
/// lines: a line that does not parse (a torn last line, a record of an unknown type) is skipped
/// and counted, never fatal.
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

    /// The main agent's conversation up to the last record.
    public private(set) var mainConversation: [ChatMessage] = []
    /// Background agents that were running (or paused) when the log ends, by id.
    public private(set) var unfinished: [Unfinished] = []
    /// Tasks that ended, with their final state.
    public private(set) var finished: [TaskSnapshot] = []
    /// Lines that could not be read.
    public private(set) var skippedLines = 0
    /// Conversation records that could not be applied (one before them is missing).
    public private(set) var skippedRecords = 0

    /// Reads `lines` (one record each, in log order).
    public init(lines: some Sequence<some StringProtocol>) {
        var conversations = ConversationRestorer()
        var started: [TaskID: TaskSnapshot] = [:]
        var ended: [TaskID: TaskSnapshot] = [:]
        var order: [TaskID] = []
        for line in lines where !line.allSatisfy(\.isWhitespace) {
            guard let record = try? SessionRecord.parse(line) else {
                skippedLines += 1
                continue
            }
            switch record.event {
            case .conversation:
                conversations.apply(record.event)
            case .task(.started(let task)):
                if started[task.id] == nil { order.append(task.id) }
                started[task.id] = task
            case .task(.finished(let task)):
                ended[task.id] = task
            default:
                break
            }
        }
        skippedRecords = conversations.skipped
        mainConversation = conversations.conversations[nil] ?? []
        for id in order {
            if let end = ended[id] {
                finished.append(end)
            } else if let task = started[id], task.kind == .agent, task.mode == .background {
                unfinished.append(Unfinished(
                    id: id, name: task.name, prompt: task.description, spawner: task.spawner,
                    conversation: conversations.conversations[id] ?? []
                ))
            }
        }
    }
}
