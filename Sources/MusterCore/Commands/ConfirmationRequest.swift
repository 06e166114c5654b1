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
    /// Tasks it concerns: running tasks for `cancelAll`, running (or paused) background agents
    /// for `quit`.
    public let count: Int
    /// For `quit`: running background shells, which end with it too.
    public let shells: Int
    /// For `quit`: calls waiting for the person's approval, which end denied.
    public let approvals: Int

    /// A question guarding `action`, which concerns `count` tasks (and `shells` background shells).
    public init(_ action: Action, count: Int, shells: Int = 0, approvals: Int = 0) {
        self.action = action
        self.count = count
        self.shells = shells
        self.approvals = approvals
    }

    private enum CodingKeys: String, CodingKey { case action, count, shells, approvals }

    // `shells` and `approvals` are written only when there are some, and read as 0 when absent (older logs).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            try container.decode(Action.self, forKey: .action), count: try container.decode(Int.self, forKey: .count),
            shells: try container.decodeIfPresent(Int.self, forKey: .shells) ?? 0,
            approvals: try container.decodeIfPresent(Int.self, forKey: .approvals) ?? 0
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(action, forKey: .action)
        try container.encode(count, forKey: .count)
        if shells > 0 { try container.encode(shells, forKey: .shells) }
        if approvals > 0 { try container.encode(approvals, forKey: .approvals) }
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
