import Foundation
import Logging

/// What a running task's body can do with its own registry entry.
public struct TaskContext: Sendable {
    /// The task's own id.
    public let id: TaskID
    let registry: TaskRegistry

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

    /// Has the registry tell `interrupt` when the task is paused or resumed (in the same step as
    /// the pause), until its body ends: a pause then ends its model call in flight. Returns the
    /// task's budget (one trip to the registry for both, as an agent's run begins).
    func interruptOnPause(_ interrupt: AgentInterrupt) async -> TaskBudget? {
        await registry.attach(interrupt, to: id)
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
