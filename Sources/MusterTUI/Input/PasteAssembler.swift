import MusterCore
import MusterPresentation

/// Puts a bracketed paste back together: everything between the start and end markers becomes
/// one `.pasted` input, however many reads it took to arrive; everything else passes unchanged.
public struct PasteAssembler: Sendable {
    /// The paste so far, while between the markers.
    private var pending: String.UnicodeScalarView?
    /// Scalars in `pending` (the view's own count walks the whole text).
    private var pendingCount = 0
    /// The largest paste kept; more is dropped (and the paste is still ended by its marker).
    public let limit: Int

    /// An assembler outside any paste; pastes beyond `limit` scalars are cut there.
    public init(limit: Int = 1_000_000) {
        self.limit = limit
    }

    /// True while a paste has started and not ended.
    public var isPasting: Bool { pending != nil }

    /// The inputs of one read, with each complete paste folded into one `.pasted`.
    public mutating func assemble(_ inputs: [KeyDecoder.Input]) -> [KeyDecoder.Input] {
        var output: [KeyDecoder.Input] = []
        for input in inputs {
            switch input {
            case .pasteStart:
                // A second start inside a paste is text the terminal did not mean as a marker.
                if pending == nil {
                    pending = String.UnicodeScalarView()
                    pendingCount = 0
                }
            case .pasteEnd:
                if let text = pending {
                    output.append(.pasted(Self.normalized(text)))
                    pending = nil
                }
            case .scalar(let scalar):
                guard pending != nil else {
                    output.append(input)
                    continue
                }
                if pendingCount < limit {
                    pending?.append(scalar)
                    pendingCount += 1
                }
            case .key, .pasted:
                // Keys curses decoded inside a paste (an escape sequence in the text) are dropped.
                if pending == nil { output.append(input) }
            }
        }
        return output
    }

    /// Line breaks as `\n` (terminals send `\r`), tabs kept, other control characters dropped.
    static func normalized(_ scalars: String.UnicodeScalarView) -> String {
        var text = String.UnicodeScalarView()
        var previousWasReturn = false
        for scalar in scalars {
            switch scalar.value {
            case 0x0D:
                text.append("\n")
                previousWasReturn = true
                continue
            case 0x0A:
                if !previousWasReturn { text.append("\n") }
            case 0x09:
                text.append(scalar)
            case 0x00..<0x20, 0x7F..<0xA0:
                break
            case 0x20..<0x7F:
                text.append(scalar)
            default:
                // As when typed: characters that would reorder or break the line are left out.
                if scalar.value < 0x2000 || TerminalSanitizer.isInert(String(scalar)) { text.append(scalar) }
            }
            previousWasReturn = false
        }
        return String(text)
    }
}
