/// Thrown to a foreground caller whose task was moved to the background (Ctrl+B) while it waited.
public struct MovedToBackground: Error, Sendable {
    public let task: TaskSnapshot
}
