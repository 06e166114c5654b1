/// Splits a byte stream into lines at `\n`, keeping at most `maxLineBytes` of each line in memory.
///
/// Bytes are decoded as UTF-8 lossily (invalid sequences become U+FFFD), so no input can crash it.
struct LineSplitter: Sendable {
    /// One line without its terminator: the kept text and how long the line really was.
    struct Line: Sendable, Equatable {
        var text: String
        /// Bytes in the whole line (more than the kept text when it was cut).
        var byteCount: Int
        /// True when the line was longer than the splitter keeps.
        var isTruncated: Bool
    }

    let maxLineBytes: Int
    /// When true a lone `\r` starts the line over, as on a terminal (progress bars redraw this way).
    let carriageReturnRestartsLine: Bool
    private var pending: [UInt8] = []
    private var pendingCount = 0
    private var sawCarriageReturn = false

    init(maxLineBytes: Int, carriageReturnRestartsLine: Bool = false) {
        precondition(maxLineBytes > 0)
        self.maxLineBytes = maxLineBytes
        self.carriageReturnRestartsLine = carriageReturnRestartsLine
    }

    /// Feeds bytes; calls `emit` for each line completed by them.
    mutating func append(_ bytes: some Sequence<UInt8>, emit: (Line) throws -> Void) rethrows {
        for byte in bytes {
            if byte == 0x0A {
                try emit(takeLine())
                continue
            }
            if sawCarriageReturn {
                sawCarriageReturn = false
                if carriageReturnRestartsLine {
                    pending.removeAll(keepingCapacity: true)
                    pendingCount = 0
                } else {
                    keep(0x0D)
                }
            }
            if byte == 0x0D {
                sawCarriageReturn = true
            } else {
                keep(byte)
            }
        }
    }

    /// The last line when the stream ended without a final `\n`.
    mutating func finish() -> Line? {
        pendingCount == 0 ? nil : takeLine()
    }

    /// Bytes of the line not yet completed by a `\n`.
    var pendingByteCount: Int { pendingCount }

    /// Gives up on the line in progress: returns what is kept of it (cut) and forgets it.
    mutating func abandonLine() -> Line {
        var line = takeLine()
        line.isTruncated = true
        return line
    }

    private mutating func keep(_ byte: UInt8) {
        if pending.count < maxLineBytes { pending.append(byte) }
        pendingCount += 1
    }

    private mutating func takeLine() -> Line {
        // A `\r` right before `\n` (or at the end) is a CRLF terminator, not content.
        sawCarriageReturn = false
        let isTruncated = pendingCount > pending.count
        let text = Self.decode(isTruncated ? Self.droppingPartialScalar(pending[...]) : pending[...])
        let line = Line(text: text, byteCount: pendingCount, isTruncated: isTruncated)
        pending.removeAll(keepingCapacity: true)
        pendingCount = 0
        return line
    }

    /// Decodes UTF-8 lossily: invalid sequences become U+FFFD.
    static func decode(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// Drops an incomplete UTF-8 sequence at the end of bytes cut at a limit, so the cut
    /// does not show up as a replacement character.
    static func droppingPartialScalar(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var index = bytes.endIndex
        var continuationBytes = 0
        while index > bytes.startIndex, continuationBytes < 4 {
            let byte = bytes[index - 1]
            if byte & 0xC0 == 0x80 {
                continuationBytes += 1
                index -= 1
                continue
            }
            let expected = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
            return expected > continuationBytes + 1 ? bytes[..<(index - 1)] : bytes
        }
        return bytes
    }
}
