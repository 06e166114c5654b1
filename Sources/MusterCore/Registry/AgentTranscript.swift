import DequeModule

/// What one agent said and did, bounded: its text, each tool call with its arguments, each
/// result (first lines and how many more), errors, and its children's results. Keeps the newest
/// `limit` lines, each cut to `lineLimit` characters, and counts what it dropped (the session
/// log keeps everything).
public struct AgentTranscript: Sendable, Equatable, Codable {
    /// Lines kept per agent.
    public static let defaultLimit = 400
    /// Characters kept per line.
    public static let lineLimit = 200
    /// Lines of a tool result kept before `… N more lines`.
    public static let resultLines = 3

    public let limit: Int
    private var kept: Deque<String> = []
    /// Lines dropped to keep within `limit`, oldest first.
    public private(set) var dropped = 0

    public init(limit: Int = defaultLimit) {
        self.limit = max(1, limit)
    }

    enum CodingKeys: String, CodingKey { case limit, lines, dropped }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        limit = max(1, try container.decode(Int.self, forKey: .limit))
        kept = Deque(try container.decode([String].self, forKey: .lines).suffix(limit))
        dropped = try container.decode(Int.self, forKey: .dropped)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(limit, forKey: .limit)
        try container.encode(lines, forKey: .lines)
        try container.encode(dropped, forKey: .dropped)
    }

    /// The lines kept, oldest first.
    public var lines: [String] { Array(kept) }

    /// Appends `text`, one transcript line per line of it.
    public mutating func append(_ text: String) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            kept.append(line.count > Self.lineLimit ? String(line.prefix(Self.lineLimit - 1)) + "…" : String(line))
            if kept.count > limit {
                kept.removeFirst()
                dropped += 1
            }
        }
    }

    /// A tool result as the transcript keeps it: its first lines and `… N more lines`.
    public static func result(_ content: String, isError: Bool) -> String {
        let lines = content.split(separator: "\n", omittingEmptySubsequences: false)
        let head = lines.prefix(resultLines).map { "  " + $0 }.joined(separator: "\n")
        let more = lines.count > resultLines ? "\n  … \(lines.count - resultLines) more lines" : ""
        return (isError ? "  error:\n" : "") + head + more
    }
}
