/// How finished background results reach an agent that has answered.
public enum ResultDelivery: Sendable, Equatable {
    /// Every result waiting at that moment, answered by one model call.
    case batched
    /// One result per model call, oldest first (each gets an answer of its own).
    case each
}
