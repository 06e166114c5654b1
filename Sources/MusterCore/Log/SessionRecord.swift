import Foundation

/// One line of the session log and of `--output-format stream-json`: a session event in its
/// envelope, numbered and timestamped (see Docs/session-log.md). The event's `type` field says
/// what happened.
public struct SessionRecord: Sendable, Equatable {
    /// The version of this schema, written in every `session_start` record.
    public static let schemaVersion = 1

    /// Position in the session, from 1; consecutive within one output (log or stream).
    public var sequence: Int
    /// When the record was made (wall clock, millisecond precision in JSON).
    public var time: Date
    /// What happened.
    public var event: SessionEvent
    /// The session the record belongs to (several sessions may append to one `--log-file`).
    public var sessionID: String?

    public init(sequence: Int, time: Date, event: SessionEvent, sessionID: String? = nil) {
        self.sequence = sequence
        self.time = time
        self.event = event
        self.sessionID = sessionID ?? event.ownSessionID
    }
}

// MARK: JSON

extension SessionRecord: Codable {
    enum CodingKeys: String, CodingKey {
        case seq, time, sessionID = "session_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sequence = try container.decode(Int.self, forKey: .seq)
        time = try SessionRecord.decodeTime(container.decode(String.self, forKey: .time), in: container, key: .time)
        event = try SessionEvent(from: decoder)
        sessionID = try container.decodeIfPresent(String.self, forKey: .sessionID)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sequence, forKey: .seq)
        try container.encode(SessionRecord.formatTime(time), forKey: .time)
        if event.ownSessionID == nil { try container.encodeIfPresent(sessionID, forKey: .sessionID) }
        try event.encode(to: encoder)
    }

    /// The record as one line of compact JSON (no trailing newline), `type`, `seq`, `time` and
    /// `session_id` first and the other keys sorted, so logs read well and diff stably.
    /// (`session_start` and `session_end` carry `session_id` among their sorted fields.)
    public var jsonLine: String {
        var head = "{\"type\":\"\(event.type)\",\"seq\":\(sequence),\"time\":\"\(SessionRecord.formatTime(time))\""
        if event.ownSessionID == nil, let sessionID { head += ",\"session_id\":" + JSONValue.string(sessionID).jsonText }
        let payload = event.payloadJSON
        // payload is "{...}": splice its members after the head.
        return payload == "{}" ? head + "}" : head + "," + payload.dropFirst()
    }

    /// Parses one line written by `jsonLine` (or any JSON encoder).
    public static func parse(_ line: some StringProtocol) throws -> SessionRecord {
        try JSONDecoder().decode(SessionRecord.self, from: Data(line.utf8))
    }

    /// UTC, to the nearest millisecond: `2025-11-21T16:00:00.125Z`. Rounded by hand, because the
    /// format style truncates, so a parsed time (a hair below the millisecond) would print one less.
    static func formatTime(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let (seconds, fraction) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        let (wholeSeconds, millis) = fraction < 0 ? (seconds - 1, fraction + 1000) : (seconds, fraction)
        let stamp = Date(timeIntervalSince1970: TimeInterval(wholeSeconds)).formatted(secondsStyle)
        return String(stamp.dropLast()) + String(format: ".%03dZ", millis)
    }

    static func decodeTime<Key: CodingKey>(_ text: String, in container: KeyedDecodingContainer<Key>, key: Key) throws -> Date {
        guard let date = try? timeStyle.parse(text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "expected an ISO 8601 time, found \"\(text)\"")
        }
        return date
    }

    private static let timeStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    private static let secondsStyle = Date.ISO8601FormatStyle()
}
