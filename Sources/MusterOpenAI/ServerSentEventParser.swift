/// Splits a `text/event-stream` byte stream into the `data` payloads of its events.
///
/// Lines end in LF, CRLF or CR; `data:` lines of one event are joined with a newline; a blank line ends the
/// event; comments (`:`) and other fields (`event:`, `id:`, `retry:`) are ignored. Bytes are buffered until a
/// line is complete, so a chunk boundary may fall anywhere, even inside a multi-byte character.
struct ServerSentEventParser {
    private var pendingLine: [UInt8] = []
    private var dataLines: [String] = []
    private var lastByteWasCR = false

    private static let lineFeed = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")

    /// Feeds bytes and returns the data of every event they complete.
    mutating func consume(_ bytes: some Sequence<UInt8>) -> [String] {
        var events: [String] = []
        for byte in bytes {
            defer { lastByteWasCR = byte == Self.carriageReturn }
            if byte == Self.lineFeed, lastByteWasCR { continue }  // the LF of a CRLF
            if byte == Self.lineFeed || byte == Self.carriageReturn {
                if let event = endLine() { events.append(event) }
            } else {
                pendingLine.append(byte)
            }
        }
        return events
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
            defer { dataLines.removeAll() }
            return dataLines.joined(separator: "\n")
        }
        if line == "data" {
            dataLines.append("")
        } else if line.hasPrefix("data:") {
            var value = line.dropFirst("data:".count)
            if value.first == " " { value = value.dropFirst() }
            dataLines.append(String(value))
        }
        return nil
    }
}
