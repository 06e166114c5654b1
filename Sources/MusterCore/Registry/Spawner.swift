/// Who launched a task: the top-level conversation, or another task (an agent).
public enum Spawner: Hashable, Sendable, CustomStringConvertible {
    case topLevel
    case task(TaskID)

    public var description: String {
        switch self {
        case .topLevel: "top level"
        case .task(let id): id.description
        }
    }

    /// The launching task's id, nil at top level.
    public var taskID: TaskID? {
        if case .task(let id) = self { id } else { nil }
    }
}
