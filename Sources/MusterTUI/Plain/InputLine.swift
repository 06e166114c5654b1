/// One line of plain-mode input: its text, or the fact that it was longer than a line may be.
enum InputLine: Sendable, Equatable {
    case text(String)
    /// A line over `BoundedLineSplitter.maximumBytes`, dropped as it was read; `bytes` is its length.
    case tooLong(bytes: Int)

    /// The line a person sees when theirs was dropped.
    static func tooLongMessage(bytes: Int) -> String {
        "That line (\(bytes) bytes) was not sent: a line may hold at most \(BoundedLineSplitter.maximumBytes / 1024 / 1024) MiB."
    }
}

/// Splits bytes into lines without ever holding more than `maximumBytes` of one line: the rest
/// of an over-long line is counted and dropped as it arrives (a 10 MB line cost 359 MB before).
struct BoundedLineSplitter: Sendable {
    /// The longest line kept (1 MiB).
    static let maximumBytes = 1 << 20

    private let limit: Int
    private var current: [UInt8] = []
    /// Bytes of the current line so far, kept or not.
    private var length = 0

    init(limit: Int = BoundedLineSplitter.maximumBytes) {
        self.limit = limit
    }

    /// Bytes held for the line being read (never more than the limit).
    var bufferedBytes: Int { current.count }

    /// Takes the next bytes; returns the lines they complete.
    mutating func feed<Bytes: Collection>(_ bytes: Bytes) -> [InputLine] where Bytes.Element == UInt8 {
        var lines: [InputLine] = []
        for byte in bytes {
            if byte == 0x0A {
                lines.append(takeLine())
            } else {
                length += 1
                if length <= limit { current.append(byte) } else if !current.isEmpty { current = [] }
            }
        }
        return lines
    }

    /// The last line when the input ends without a newline, if any.
    mutating func finish() -> InputLine? {
        length == 0 ? nil : takeLine()
    }

    private mutating func takeLine() -> InputLine {
        defer {
            current = []
            length = 0
        }
        if length > limit { return .tooLong(bytes: length) }
        if current.last == 0x0D { current.removeLast() }
        return .text(String(decoding: current, as: UTF8.self))
    }
}
