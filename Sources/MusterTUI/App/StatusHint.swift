/// A short-lived message in the status line (completions, "press Ctrl-C again").
public struct StatusHint: Sendable, Equatable {
    public let text: String
    /// Shown in the attention style rather than quietly.
    public let isUrgent: Bool
    /// When it disappears by itself (nil: at the next key).
    public let expires: ContinuousClock.Instant?

    /// A hint, quiet unless urgent, kept until `expires` or the next key.
    public init(_ text: String, isUrgent: Bool = false, expires: ContinuousClock.Instant? = nil) {
        self.text = text
        self.isUrgent = isUrgent
        self.expires = expires
    }
}
