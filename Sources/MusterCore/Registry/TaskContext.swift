import Foundation
import Logging

/// What a running task's body can do with its own registry entry.
public struct TaskContext: Sendable {
    /// The task's own id.
    public let id: TaskID
    let registry: TaskRegistry
    /// Its agent's interrupt (nil for other kinds): the registry tells it of the task's pauses,
    /// resumes and messages in the step that makes them, so the run reads them here.
    let interrupt: AgentInterrupt?
    /// What it may spend, as granted at its start.
    let budget: TaskBudget

    init(id: TaskID, registry: TaskRegistry, interrupt: AgentInterrupt? = nil, budget: TaskBudget = TaskBudget()) {
        self.id = id
        self.registry = registry
        self.interrupt = interrupt
        self.budget = budget
    }

    /// Moves to a new step and/or activity (e.g. the tool running now); `joinsTrail` false for
    /// an activity that only updates the current one (the start of the text being written).
    public func report(step: Int? = nil, activity: String?, joinsTrail: Bool = true) async {
        await registry.report(id, step: step, activity: activity, joinsTrail: joinsTrail)
    }

    /// Counts what the task has just used (a model turn's tokens, tool calls).
    public func record(_ usage: TaskUsage) async {
        await registry.recordUsage(id, usage)
    }

    /// Adds `text` to the task's transcript.
    public func transcribe(_ text: String) async {
        await registry.transcribe(id, text)
    }

    /// Adds a line to the task's progress trail.
    public func note(_ line: String) async {
        await registry.note(id, line)
    }

    /// Returns at once unless the task is paused; then waits until it is resumed. Throws
    /// `CancellationError` when the task is stopped (or its caller cancelled) instead.
    public func untilRunning() async throws {
        guard await registry.awaitControl(id, waitingFor: .resumed) else { throw CancellationError() }
    }

    /// Takes the task's unread messages, oldest first.
    public func takeMessages() async -> [AgentMessage] {
        await registry.takeMessages(for: id)
    }

    /// True when a message waits to be read.
    public func hasMessages() async -> Bool {
        await registry.unreadMessageCount(for: id) > 0
    }

    /// The spawner value for tasks this task launches.
    public var asSpawner: Spawner { .task(id) }
}
