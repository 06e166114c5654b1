/// A task's id: monotonic within a session, shown to people as `#7`.
public struct TaskID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The number after the `#`.
    public let rawValue: Int

    /// Wraps a raw number.
    public init(_ rawValue: Int) { self.rawValue = rawValue }

    /// Parses what a person types: `7` or `#7`; nil for anything else.
    public init?(parsing text: some StringProtocol) {
        var digits = Substring(text.trimmingCharacters(in: .whitespaces))
        if digits.first == "#" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
              let value = Int(digits), value > 0 else { return nil }
        self.rawValue = value
    }

    public var description: String { "#\(rawValue)" }
    public static func < (lhs: TaskID, rhs: TaskID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(Int.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

import Foundation
