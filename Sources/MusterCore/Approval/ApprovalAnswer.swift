/// The person's answer to an approval request.
public enum ApprovalAnswer: Sendable, Equatable, Codable {
    /// `y`: this call only.
    case once
    /// `a`: this call, and from now on every call the subject's rule matches (this session).
    case always
    /// `n` (or Esc): refused; the reason, when given, reaches the model.
    case deny(reason: String?)
}
