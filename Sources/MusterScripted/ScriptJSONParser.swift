import Foundation
import MusterCore

/// A strict JSON parser for hand-written scripts: it reports the line and column of a syntax
/// mistake in words a person understands, and rejects duplicate keys (which `JSONDecoder`
/// silently collapses, so a second `"say"` in a turn would vanish without a trace).
struct ScriptJSONParser {
    /// A syntax mistake at a position in the text (line and column count from 1).
    struct SyntaxError: Error, Equatable {
        let line: Int
        let column: Int
        let message: String
    }

    /// Deeper nesting than this is refused instead of risking the stack.
    static let maximumDepth = 256

    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0
    private var path = ScriptPath.root

    /// Parses a whole document.
    static func parse(_ data: Data) throws(SyntaxError) -> JSONValue {
        var parser = ScriptJSONParser(bytes: Array(data))
        return try parser.parseDocument()
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private mutating func parseDocument() throws(SyntaxError) -> JSONValue {
        // A UTF-8 byte order mark is harmless; some editors write one.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        skipWhitespace()
        guard index < bytes.count else { throw error("the document is empty; expected a JSON object") }
        let value = try parseValue()
        skipWhitespace()
        if index < bytes.count {
            throw error("unexpected \(describeCurrent()) after the end of the JSON value; expected nothing more")
        }
        return value
    }

    private mutating func parseValue() throws(SyntaxError) -> JSONValue {
        guard let byte = current else { throw error("unexpected end of the document; expected a value") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        case UInt8(ascii: "t"): try parseLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try parseLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try parseLiteral("null"); return .null
        case UInt8(ascii: "'"): throw error("strings need double quotes (\"...\"), not single quotes")
        case UInt8(ascii: "/"): throw error("comments are not allowed in JSON")
        default: throw error("unexpected \(describeCurrent()); expected a value (object, array, string, number, true, false or null)")
        }
    }

    private mutating func parseObject() throws(SyntaxError) -> JSONValue {
        try enterContainer()
        index += 1  // {
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else {
                if current == UInt8(ascii: "}") { throw error("a comma before \"}\" is not allowed in JSON; remove it") }
                if current == UInt8(ascii: "/") { throw error("comments are not allowed in JSON") }
                throw error("unexpected \(describeCurrent()); expected a key in double quotes")
            }
            let keyStart = index
            let key = try parseString()
            if members[key] != nil {
                index = keyStart
                throw error("duplicate key \(JSONValue.string(key).jsonText) in \(path)")
            }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else {
                throw error("unexpected \(describeCurrent()); expected \":\" after the key \(JSONValue.string(key).jsonText)")
            }
            index += 1
            skipWhitespace()
            let outer = path
            path = path.appending(key)
            members[key] = try parseValue()
            path = outer
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","):
                index += 1
            case UInt8(ascii: "}"):
                index += 1
                depth -= 1
                return .object(members)
            case nil:
                throw error("unexpected end of the document; expected \",\" or \"}\" to close the object")
            default:
                throw error("unexpected \(describeCurrent()); expected \",\" between members or \"}\" to close the object")
            }
        }
    }

    private mutating func parseArray() throws(SyntaxError) -> JSONValue {
        try enterContainer()
        index += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            if current == UInt8(ascii: "]") { throw error("a comma before \"]\" is not allowed in JSON; remove it") }
            let outer = path
            path = path.appending(index: elements.count)
            elements.append(try parseValue())
            path = outer
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","):
                index += 1
            case UInt8(ascii: "]"):
                index += 1
                depth -= 1
                return .array(elements)
            case nil:
                throw error("unexpected end of the document; expected \",\" or \"]\" to close the array")
            default:
                throw error("unexpected \(describeCurrent()); expected \",\" between elements or \"]\" to close the array")
            }
        }
    }

    private mutating func enterContainer() throws(SyntaxError) {
        depth += 1
        if depth > Self.maximumDepth { throw error("nested more than \(Self.maximumDepth) levels deep") }
    }

    private mutating func parseString() throws(SyntaxError) -> String {
        let start = index
        index += 1  // opening quote
        var scalars: [UInt8] = []
        while true {
            guard let byte = current else { throw error("unexpected end of the document inside a string; expected a closing \"") }
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: scalars, as: UTF8.self) else {
                    index = start
                    throw error("this string is not valid UTF-8 text")
                }
                index += 1
                return text
            case UInt8(ascii: "\\"):
                index += 1
                try parseEscape(into: &scalars)
            case 0x0A, 0x0D:
                throw error("line break inside a string; write \\n for a new line, or close the string with \"")
            case 0x00..<0x20:
                throw error("control character inside a string; escape it (\\t for a tab)")
            default:
                scalars.append(byte)
                index += 1
            }
        }
    }

    private mutating func parseEscape(into output: inout [UInt8]) throws(SyntaxError) {
        guard let byte = current else { throw error("unexpected end of the document after \"\\\"") }
        index += 1
        let simple: UInt8? = switch byte {
        case UInt8(ascii: "\""): UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): UInt8(ascii: "\\")
        case UInt8(ascii: "/"): UInt8(ascii: "/")
        case UInt8(ascii: "b"): 0x08
        case UInt8(ascii: "f"): 0x0C
        case UInt8(ascii: "n"): 0x0A
        case UInt8(ascii: "r"): 0x0D
        case UInt8(ascii: "t"): 0x09
        default: nil
        }
        if let simple {
            output.append(simple)
            return
        }
        guard byte == UInt8(ascii: "u") else {
            index -= 1
            throw error("unknown escape \"\\\(describeByte(byte))\"; expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX")
        }
        var scalar = try parseHexQuad()
        if (0xD800...0xDBFF).contains(scalar) {
            // A high surrogate must be followed by an escaped low surrogate to form one character.
            guard current == UInt8(ascii: "\\"), peek(1) == UInt8(ascii: "u") else {
                throw error("a \\u escape for a high surrogate must be followed by a low surrogate \\uDC00...\\uDFFF")
            }
            index += 2
            let low = try parseHexQuad()
            guard (0xDC00...0xDFFF).contains(low) else {
                throw error("expected a low surrogate \\uDC00...\\uDFFF after a high surrogate")
            }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00...0xDFFF).contains(scalar) {
            throw error("a lone low surrogate \\u\(String(scalar, radix: 16, uppercase: true)) is not a character")
        }
        guard let unicodeScalar = Unicode.Scalar(scalar) else { throw error("\\u escape is not a Unicode character") }
        output.append(contentsOf: Array(String(Character(unicodeScalar)).utf8))
    }

    private mutating func parseHexQuad() throws(SyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = current, let digit = Self.hexValue(byte) else {
                throw error("expected four hexadecimal digits after \\u")
            }
            value = value * 16 + digit
            index += 1
        }
        return value
    }

    private static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    private mutating func parseNumber() throws(SyntaxError) -> JSONValue {
        let start = index
        if current == UInt8(ascii: "-") { index += 1 }
        guard let first = current, Self.isDigit(first) else { throw error("expected a digit after \"-\"") }
        if first == UInt8(ascii: "0") {
            index += 1
            if let next = current, Self.isDigit(next) { throw error("numbers cannot start with 0 (write \(describeByte(next)) without the leading 0)") }
        } else {
            skipDigits()
        }
        if current == UInt8(ascii: ".") {
            index += 1
            guard let digit = current, Self.isDigit(digit) else { throw error("expected a digit after the decimal point") }
            skipDigits()
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard let digit = current, Self.isDigit(digit) else { throw error("expected a digit in the exponent") }
            skipDigits()
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            index = start
            throw error("the number \(text) is out of range")
        }
        return .number(value)
    }

    private mutating func skipDigits() {
        while let byte = current, Self.isDigit(byte) { index += 1 }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private mutating func parseLiteral(_ word: String) throws(SyntaxError) {
        for expected in word.utf8 {
            guard current == expected else {
                throw error("unexpected \(describeCurrent()); expected \(word) (strings need double quotes)")
            }
            index += 1
        }
    }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private func peek(_ offset: Int) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    // Line and column are counted from the start only when an error is reported.

    /// 1-based line of the current position.
    private var line: Int {
        bytes[..<min(index, bytes.count)].reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
    }

    /// 1-based column of the current position, counted in characters (not bytes).
    private var column: Int {
        let end = min(index, bytes.count)
        let lineStart = bytes[..<end].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        // Count UTF-8 lead bytes only, so a multi-byte character is one column.
        return bytes[lineStart..<end].reduce(1) { ($1 & 0xC0) == 0x80 ? $0 : $0 + 1 }
    }

    private func describeCurrent() -> String {
        guard let byte = current else { return "end of the document" }
        // Single quotes, so that a found double quote reads '"' rather than """.
        return "'\(describeByte(byte))'"
    }

    private func describeByte(_ byte: UInt8) -> String {
        switch byte {
        case 0x0A: return "\\n"
        case 0x09: return "\\t"
        case 0x20...0x7E: return String(UnicodeScalar(byte))
        default:
            // Show the whole character when the byte starts a multi-byte UTF-8 sequence.
            let end = min(bytes.count, index + 4)
            if let character = String(decoding: bytes[index..<end], as: UTF8.self).first, character != "\u{FFFD}" {
                return String(character)
            }
            return "byte 0x" + String(byte, radix: 16, uppercase: true)
        }
    }

    private func error(_ message: String) -> SyntaxError {
        SyntaxError(line: line, column: column, message: message)
    }
}
