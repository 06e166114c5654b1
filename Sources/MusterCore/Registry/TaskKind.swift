/// What a task is: an agent now; shell commands later.
public enum TaskKind: String, Sendable, Codable, CaseIterable {
    case agent
    case shell
}
