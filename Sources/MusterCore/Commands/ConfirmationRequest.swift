/// A question a command needs answered before it acts, e.g. `Cancel 3 running tasks? (y/n)`.
public struct ConfirmationRequest: Sendable, Equatable {
    /// The action waiting for a yes.
    public enum Action: Sendable, Equatable {
        case cancelAll
        /// Quit although background agents run (they are stopped on the way out).
        case quit
    }

    /// The question, ending in `(y/n)`.
    public let prompt: String
    public let action: Action

    /// A question `prompt` guarding `action`.
    public init(prompt: String, action: Action) {
        self.prompt = prompt
        self.action = action
    }

    /// Reads a whole answer line: true for `y`/`yes`, false for `n`/`no` (any case), nil for
    /// anything else, an empty line included, so the question is asked again.
    public static func interpret(_ answer: String) -> Bool? {
        switch answer.trimmingCharacters(in: .whitespaces).lowercased() {
        case "y", "yes": true
        case "n", "no": false
        default: nil
        }
    }
}
