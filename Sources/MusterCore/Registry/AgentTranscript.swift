import DequeModule

/// What one agent said and did, bounded: its text, each tool call with its arguments, each
/// result (first lines and how many more), errors, and its children's results. Keeps the newest
/// `limit` lines and at most `byteLimit` bytes of text, each line cut to `lineLimit` characters,
/// and counts what it dropped (the session log keeps everything).
public struct AgentTranscript: Sendable, Codable {
    /// Lines kept per agent.
    public static let defaultLimit = 400
    /// UTF-8 bytes of text kept per agent: with the line lengths and the slack of the buffer, a
    /// full transcript stays under 64 KB (the bench's "transcript memory per agent" measures it).
    public static let defaultByteLimit = 32 * 1024
    /// Characters kept per line.
    public static let lineLimit = 200
    /// UTF-8 bytes kept per line at most (characters of many scalars are cut further).
    static let maxLineBytes = lineLimit * 4
    /// Lines of a tool result kept before `… N more lines`.
    public static let resultLines = 3

    public let limit: Int
    public let byteLimit: Int
    // One buffer of UTF-8 text instead of a String per line: a 200-character String costs a
    // 32-byte header and malloc's rounding besides its bytes, and 400 of them came to ~100 KB.
    /// The kept lines' bytes from `start` on; bytes before `start` are dropped lines, removed in
    /// one move once the buffer would outgrow `byteLimit + slack`.
    private var bytes: [UInt8] = []
    private var start = 0
    /// The byte length of each kept line, oldest first.
    private var lengths: Deque<UInt16> = []
    /// Lines dropped to keep within the bounds, oldest first.
    public private(set) var dropped = 0

    /// Room for appending past `byteLimit` before the dropped prefix is moved out.
    private var slack: Int { max(1024, byteLimit / 4) }

    public init(limit: Int = defaultLimit, byteLimit: Int = defaultByteLimit) {
        self.limit = max(1, limit)
        self.byteLimit = max(Self.maxLineBytes, byteLimit)
    }

    enum CodingKeys: String, CodingKey { case limit, lines, dropped }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(limit: try container.decode(Int.self, forKey: .limit))
        for line in try container.decode([String].self, forKey: .lines) { appendLine(Substring(line)) }
        dropped = try container.decode(Int.self, forKey: .dropped)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(limit, forKey: .limit)
        try container.encode(lines, forKey: .lines)
        try container.encode(dropped, forKey: .dropped)
    }

    /// The lines kept, oldest first.
    public var lines: [String] {
        var result: [String] = []
        result.reserveCapacity(lengths.count)
        var offset = start
        for length in lengths {
            let end = offset + Int(length)
            result.append(String(decoding: bytes[offset..<end], as: UTF8.self))
            offset = end
        }
        return result
    }

    /// Lines kept now.
    public var count: Int { lengths.count }

    /// Bytes of text kept now.
    public var keptBytes: Int { bytes.count - start }

    /// Appends `text`, one transcript line per line of it.
    public mutating func append(_ text: String) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) { appendLine(line) }
    }

    private mutating func appendLine(_ line: Substring) {
        var cut = line.count > Self.lineLimit ? Substring(line.prefix(Self.lineLimit - 1) + "…") : line
        if cut.utf8.count > Self.maxLineBytes {
            // Characters of many combining marks: cut by scalars so a line stays within bounds.
            var kept = 0
            let end = cut.unicodeScalars.firstIndex { scalar in
                kept += UTF8.width(scalar)
                return kept > Self.maxLineBytes - 3
            } ?? cut.endIndex
            cut = Substring(String(cut.unicodeScalars[..<end]) + "…")
        }
        let utf8 = cut.utf8
        let size = utf8.count
        while let oldest = lengths.first, lengths.count >= limit || keptBytes + size > byteLimit {
            start += Int(oldest)
            lengths.removeFirst()
            dropped += 1
        }
        if bytes.count + size > byteLimit + slack {
            bytes.removeSubrange(0..<start)
            start = 0
        }
        if bytes.capacity < bytes.count + size {
            // Grows by doubling up to the bound, never past it (append alone would double past it).
            bytes.reserveCapacity(min(byteLimit + slack, max(bytes.count + size, bytes.capacity * 2, 256)))
        }
        bytes.append(contentsOf: utf8)
        lengths.append(UInt16(size))
    }

    /// A tool result as the transcript keeps it: its first lines and `… N more lines`.
    public static func result(_ content: String, isError: Bool) -> String {
        let lines = content.split(separator: "\n", omittingEmptySubsequences: false)
        let head = lines.prefix(resultLines).map { "  " + $0 }.joined(separator: "\n")
        let more = lines.count > resultLines ? "\n  … \(lines.count - resultLines) more lines" : ""
        return (isError ? "  error:\n" : "") + head + more
    }
}

extension AgentTranscript: Equatable {
    /// Equal when they keep the same lines under the same bounds and dropped as many.
    public static func == (lhs: AgentTranscript, rhs: AgentTranscript) -> Bool {
        lhs.limit == rhs.limit && lhs.byteLimit == rhs.byteLimit && lhs.dropped == rhs.dropped && lhs.lines == rhs.lines
    }
}
