import Clocks
import MusterCore

/// A registry on a test clock whose tasks end only when a test says so.
final class CommandsFixture: Sendable {
    let clock = TestClock<Duration>()
    let registry: TaskRegistry
    private let subscription: TaskEvents

    init(cap: Int = 10) {
        registry = TaskRegistry(configuration: .init(maxBackgroundAgents: cap), clock: clock)
        subscription = registry.events.subscribe().tasks
    }

    /// Starts a background agent that runs until cancelled or released; waits until it runs.
    @discardableResult
    func startRunning(
        _ name: String,
        prompt: String = "Look around",
        mode: TaskMode = .background,
        outcome: @escaping @Sendable () throws -> String = { "done" }
    ) async throws -> Release {
        let (gate, open) = AsyncStream<Void>.makeStream()
        let request = TaskRegistry.Request(name: name, kind: .agent, description: prompt, mode: mode)
        let id = try await registry.start(request) { _ in
            for await _ in gate {}
            return try outcome()
        }
        await waitFor { event in
            if case .updated(let task) = event, task.id == id, case .running = task.status { true } else { false }
        }
        return Release(id: id, continuation: open)
    }

    /// Reads registry events until one matches; returns it.
    @discardableResult
    func waitFor(_ matches: (TaskRegistryEvent) -> Bool) async -> TaskRegistryEvent? {
        while let event = await subscription.next() {
            if matches(event) { return event }
        }
        return nil
    }

    /// Waits for the terminal event of `id`.
    @discardableResult
    func waitForEnd(of id: TaskID) async -> TaskSnapshot? {
        let event = await waitFor { event in
            if case .finished(let task) = event, task.id == id { true } else { false }
        }
        return event?.snapshot
    }

    /// Lets a running task's body return (it completes, or throws its outcome's error).
    struct Release: Sendable {
        let id: TaskID
        let continuation: AsyncStream<Void>.Continuation

        func callAsFunction() { continuation.finish() }
    }
}

/// A failure with a fixed message, for failed tasks.
struct CommandsFixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
