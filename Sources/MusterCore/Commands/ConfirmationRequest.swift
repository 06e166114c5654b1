/// A question a command needs answered before it acts, as data: what waits for a yes and how
/// many tasks it concerns. Front ends word it (`Cancel 3 running tasks? (y/n)`).
public struct ConfirmationRequest: Sendable, Equatable, Codable {
    /// The action waiting for a yes.
    public enum Action: String, Sendable, Equatable, Codable {
        case cancelAll
        /// Quit although background agents run (they are stopped on the way out).
        case quit
    }

    public let action: Action
    /// Tasks it concerns: running tasks for `cancelAll`, running background agents for `quit`.
    public let count: Int

    /// A question guarding `action`, which concerns `count` tasks.
    public init(_ action: Action, count: Int) {
        self.action = action
        self.count = count
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
