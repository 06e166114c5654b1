/// A log line the registry's actor writes, formatted only if the logger wants it.
enum RegistryLogEntry: Sendable, Equatable {
    case started(TaskID, name: String, mode: TaskMode)
    case cancelRequested(TaskID, CancellationSource)
    case ended(TaskID, status: String)
    case paused(TaskID)
    case resumed(TaskID)
    /// A bug: the machine refused a transition its own table does not allow.
    case illegalTransition(TaskID, from: TaskPhase.Name, to: TaskPhase.Name)
}
