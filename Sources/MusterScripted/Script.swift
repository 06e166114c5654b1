import Foundation
import MusterCore

/// A parsed, validated script: for each agent name, the scenarios the scripted model plays.
/// Only `ScriptLoader` makes one, so every value in it has been checked.
public struct Script: Sendable, Equatable {
    /// The only format version this Muster reads.
    static let supportedVersion = 1
    /// The agent name whose scenarios serve every agent the script does not name.
    static let wildcardAgentName = "*"

    /// Where the script came from, for messages (e.g. `demo.json`).
    let origin: String
    /// The optional top-level `description`.
    let summary: String?
    /// Scenarios by agent name (`main`, `explore`, `*`, ...).
    let agents: [String: Agent]
    /// The optional top-level `approvals`: standing rules the script's calls expect (the demo's
    /// survey pipelines are not on the read-only list), added to the session's when it loads.
    public let approvals: [PermissionRule]

    init(origin: String, summary: String?, agents: [String: Agent], approvals: [PermissionRule] = []) {
        self.origin = origin
        self.summary = summary
        self.agents = agents
        self.approvals = approvals
    }

    /// One agent's scenarios, in document order.
    struct Agent: Sendable, Equatable {
        let scenarios: [Scenario]

        /// The scenario without `match`, if any (the loader allows at most one).
        var fallback: Scenario? { scenarios.first { $0.match == nil } }

        /// The first scenario whose `match` fits `text`; fallbacks never match here.
        func firstMatch(for text: String) -> Scenario? {
            scenarios.first { $0.match?.matches(text) ?? false }
        }
    }

    /// A named conversation: the turns one agent plays when its `match` fits.
    struct Scenario: Sendable, Equatable {
        let name: String
        /// Nil for the agent's fallback scenario.
        let match: Match?
        let turns: [Turn]
        /// What a person might type to play it (the optional `example`), offered on the first screen.
        let example: String?
    }

    /// The main agent's scenario examples, the fallback's first (what most messages play), then
    /// the others in document order: what the first screen suggests.
    var examples: [String] {
        guard let main = agents["main"] else { return [] }
        let fallback = main.fallback?.example.map { [$0] } ?? []
        return fallback + main.scenarios.filter { $0.match != nil }.compactMap(\.example)
    }

    /// How a scenario recognises a message: a case-insensitive substring or a regular expression.
    enum Match: Sendable, Equatable {
        /// Matches when the message contains the text, ignoring case.
        case substring(String)
        /// Matches when the regular expression (checked at load, ignoring case) finds a match.
        case regex(String)

        /// True when `text` fits. A regular expression is matched within a time limit and
        /// stops when the calling task is cancelled; either way it then does not fit.
        func matches(_ text: String) -> Bool {
            matches(text, timeLimit: BoundedRegex.defaultTimeLimit, onProgress: { _ in })
        }

        func matches(_ text: String, timeLimit: Duration, onProgress: (Duration) -> Void) -> Bool {
            switch self {
            case .substring(let needle):
                return text.range(of: needle, options: [.caseInsensitive]) != nil
            case .regex(let pattern):
                // The loader compiled the pattern once already; it is compiled again here rather
                // than stored, so that a script stays a plain Equatable value.
                guard let expression = Self.compile(pattern) else { return false }
                let regex = BoundedRegex(expression, timeLimit: timeLimit)
                return (try? regex.firstMatch(in: text, shouldStop: { Task.isCancelled }, onProgress: onProgress)) ?? false
            }
        }

        /// The pattern as the scripted model matches it: ICU syntax, ignoring case.
        static func compile(_ pattern: String) -> NSRegularExpression? {
            try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive])
        }

        /// The form written in a script: `text` or `/regex/`.
        var written: String {
            switch self {
            case .substring(let needle): needle
            case .regex(let pattern): "/\(pattern)/"
            }
        }
    }

    /// One model turn: an optional pause, optional streamed text, optional tool calls.
    struct Turn: Sendable, Equatable {
        /// Pause before the turn's first output.
        let wait: Duration
        /// Text streamed as deltas; may hold template variables.
        let say: String?
        /// Characters per text delta.
        let chunkCharacters: Int
        /// Pause between two text deltas.
        let chunkDelay: Duration
        /// Calls made in this turn (several run in parallel); empty for a final answer.
        let toolCalls: [ToolCallTemplate]
        /// Token counts to report; missing counts are estimated.
        let usage: UsageOverride?

        /// Defaults for `chunk_chars` and `chunk_delay_ms`.
        static let defaultChunkCharacters = 16
        static let defaultChunkDelay = Duration.milliseconds(25)

        /// True when this turn ends the agent's work (it calls no tools).
        var isFinalAnswer: Bool { toolCalls.isEmpty }
    }

    /// A tool call as written in a script; string arguments may hold template variables.
    struct ToolCallTemplate: Sendable, Equatable {
        let tool: String
        /// Always an object.
        let arguments: JSONValue
    }

    /// Token counts a turn reports instead of the estimate.
    struct UsageOverride: Sendable, Equatable {
        let input: Int?
        let output: Int?
    }

    /// The scenario an agent plays for a conversation, or nil when the script has none for it.
    ///
    /// The latest user message decides: the first scenario whose `match` fits it, else the
    /// agent's fallback. An agent without a fallback then tries its scenarios against the prompt
    /// (the first user message). An agent the script does not name, or one that finds nothing,
    /// uses the wildcard agent `*` the same way.
    func scenario(forAgent agentName: String, latestUserMessage: String?, prompt: String?) -> Scenario? {
        let candidates = [agents[agentName], agentName == Self.wildcardAgentName ? nil : agents[Self.wildcardAgentName]]
        for case let agent? in candidates {
            if let latestUserMessage, let scenario = agent.firstMatch(for: latestUserMessage) { return scenario }
            if let fallback = agent.fallback { return fallback }
            if let prompt, prompt != latestUserMessage, let scenario = agent.firstMatch(for: prompt) { return scenario }
        }
        return nil
    }
}
