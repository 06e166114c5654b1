/// What the registry's actor must do after its state machine changed: the machine decides, the
/// actor carries it out (publishing, cancelling the real `Task`, resuming suspended callers, logging).
enum RegistryEffect: Sendable, Equatable {
    /// Publish to every subscriber.
    case publish(TaskRegistryEvent)
    /// Call `cancel()` on the task's body (its handle, if it has one yet).
    case cancelBody(TaskID, Task<Void, Never>?)
    /// Resume the suspended `wait` registered as `token`.
    case resolveWaiter(token: Int, TaskRegistry.WaitOutcome)
    /// Resume the suspended pause/resume watch registered as `token` (`TaskRegistry.awaitControl`).
    case resolveControlWaiter(token: Int, Bool)
    /// Nothing is active any more: resume whoever waits for that (shutdown).
    case resolveIdleWaiters
    /// Something worth a log line.
    case log(RegistryLogEntry)
}
