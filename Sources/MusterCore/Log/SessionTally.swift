import OrderedCollections

/// What a session's records add up to: the last known state of every task, the main agent's
/// turns and answer, and the tokens used. Built by the recorder from the records it writes.
public struct SessionTally: Sendable, Equatable {
    /// Every task seen, by id, in its last known state.
    public private(set) var tasks: OrderedDictionary<TaskID, TaskSnapshot> = [:]
    /// Tokens of every agent's model turns, summed.
    public private(set) var usage = Usage()
    /// Main-agent turns that ended.
    public private(set) var turns = 0
    /// Model calls made (one per `modelUsage` record): the main agent's and every agent's.
    public private(set) var modelCalls = RunResult.ModelCalls()
    /// How the last main-agent turn ended.
    public private(set) var lastTurnOutcome: TurnOutcome?
    /// The text of the last main-agent turn that completed.
    public private(set) var lastAnswer: String?

    public init() {}

    /// Takes one recorded event into account.
    public mutating func apply(_ event: SessionEvent) {
        switch event {
        case .task(.started(let task)), .task(.updated(let task)):
            // A late update never overwrites a terminal state.
            if tasks[task.id]?.isTerminal != true { tasks[task.id] = task }
        case .task(.finished(let task)):
            tasks[task.id] = task
        case .modelUsage(_, let turnUsage):
            usage = usage + turnUsage
            modelCalls.total += 1
            if event.agent?.taskID == nil { modelCalls.main += 1 }
        case .turnEnd(_, let outcome):
            turns += 1
            lastTurnOutcome = outcome
            if case .completed(let text) = outcome { lastAnswer = text }
        default:
            break
        }
    }

    /// Tasks that had not reached a terminal state, by id.
    public var unfinishedTasks: [TaskSnapshot] {
        tasks.values.filter { !$0.isTerminal }
    }
}
