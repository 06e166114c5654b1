import MusterCore
import MusterPresentation

/// Turns what the terminal delivered in one read into keys, pairing `ESC x` into Alt-x.
///
/// Curses already decodes function-key sequences; what remains is the byte-level meaning
/// of control characters and the Escape prefix that terminals send for Alt.
public struct KeyDecoder: Sendable {
    /// One unit as curses delivers it: a character, or a key curses already decoded.
    public enum Input: Hashable, Sendable {
        case scalar(Unicode.Scalar)
        case key(Key)
        /// The terminal's paste markers (bracketed paste), as curses reports them.
        case pasteStart
        case pasteEnd
        /// What came between the markers, put together by `PasteAssembler`.
        case pasted(String)
    }

    /// A decoder (it keeps no state between reads).
    public init() {}

    /// The keys in one batch of input, in order.
    public func decode(_ inputs: [Input]) -> [Key] {
        var keys: [Key] = []
        var index = 0
        while index < inputs.count {
            let input = inputs[index]
            index += 1
            if case .scalar(let scalar) = input, scalar.value == 0x1B {
                // ESC followed, in the same read, by another character is Alt plus that character.
                if index < inputs.count, case .scalar(let next) = inputs[index], next.value != 0x1B {
                    index += 1
                    keys.append(alt(next))
                    continue
                }
                keys.append(.escape)
                continue
            }
            switch input {
            case .key(let key): keys.append(key)
            case .scalar(let scalar): if let key = Self.key(for: scalar) { keys.append(key) }
            case .pasted(let text): keys.append(.paste(text))
            // A marker the assembler did not pair has nothing left to say.
            case .pasteStart, .pasteEnd: break
            }
        }
        return keys
    }

    private func alt(_ scalar: Unicode.Scalar) -> Key {
        switch scalar.value {
        case 0x7F, 0x08: .altBackspace
        default: .alt(Character(scalar))
        }
    }

    /// The key one character stands for (nil for characters with no meaning here).
    public static func key(for scalar: Unicode.Scalar) -> Key? {
        switch scalar.value {
        case 0x0D, 0x0A: return .enter
        case 0x09: return .tab
        case 0x7F, 0x08: return .backspace
        case 0x1B: return .escape
        case 0x01...0x1A: return .control(Character(Unicode.Scalar(scalar.value + 0x60)!))
        case 0x00, 0x1C...0x1F: return nil
        case 0x80..<0xA0: return nil
        default:
            // Characters that would reorder or break the line on screen (bidi overrides) are not typed.
            guard TerminalSanitizer.isInert(String(scalar)) else { return nil }
            return .character(Character(scalar))
        }
    }
}
