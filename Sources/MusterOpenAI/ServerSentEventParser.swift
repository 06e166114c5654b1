/// Splits a `text/event-stream` byte stream into the `data` payloads of its events.
///
/// Lines end in LF, CRLF or CR; `data:` lines of one event are joined with a newline; a blank line ends the
/// event; comments (`:`) and other fields (`event:`, `id:`, `retry:`) are ignored. Bytes are buffered until a
/// line is complete, so a chunk boundary may fall anywhere, even inside a multi-byte character.
struct ServerSentEventParser {
    /// The longest line, and the most data in one event, that a stream may carry: far above any
    /// real chunk, and a bound on what an endless line can cost.
    static let sizeLimit = 16 << 20

    private var pendingLine: [UInt8] = []
    private var dataLines: [String] = []
    private var dataSize = 0
    private var lastByteWasCR = false
    private let limit: Int

    init(limit: Int = ServerSentEventParser.sizeLimit) {
        self.limit = limit
    }

    private static let lineFeed = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")

    /// Feeds bytes and returns the data of every event they complete.
    /// Fails at once when a line or an event grows past the limit.
    mutating func consume(_ bytes: some Sequence<UInt8>) throws(OpenAIModelError) -> [String] {
        var events: [String] = []
        for byte in bytes {
            defer { lastByteWasCR = byte == Self.carriageReturn }
            if byte == Self.lineFeed, lastByteWasCR { continue }  // the LF of a CRLF
            if byte == Self.lineFeed || byte == Self.carriageReturn {
                if let event = endLine() { events.append(event) }
                if dataSize > limit { throw .malformedStream("an event is larger than \(Self.megabytes(limit)) (a chat completion chunk is a few kilobytes).") }
            } else {
                pendingLine.append(byte)
                if pendingLine.count > limit {
                    throw .malformedStream("a line is longer than \(Self.megabytes(limit)) without a line break (a chat completion chunk is a few kilobytes).")
                }
            }
        }
        return events
    }

    private static func megabytes(_ bytes: Int) -> String {
        bytes >= 1 << 20 ? "\(bytes >> 20) MB" : "\(bytes) bytes"
    }

    /// The data of an event whose blank line never came (the stream ended right after it), if any.
    mutating func finish() -> String? {
        if !pendingLine.isEmpty { _ = endLine() }
        return endLine()
    }

    private mutating func endLine() -> String? {
        let line = String(decoding: pendingLine, as: UTF8.self)
        pendingLine.removeAll(keepingCapacity: true)
        if line.isEmpty {
            guard !dataLines.isEmpty else { return nil }
            defer {
                dataLines.removeAll()
                dataSize = 0
            }
            return dataLines.joined(separator: "\n")
        }
        if line == "data" {
            dataLines.append("")
            dataSize += 1
        } else if line.hasPrefix("data:") {
            var value = line.dropFirst("data:".count)
            if value.first == " " { value = value.dropFirst() }
            dataLines.append(String(value))
            dataSize += value.utf8.count + 1
        }
        return nil
    }
}
