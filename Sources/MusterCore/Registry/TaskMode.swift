/// Whether the task's launcher waits for it (foreground) or gets its result later (background).
public enum TaskMode: String, Sendable, Codable, CaseIterable {
    case foreground
    case background
}
