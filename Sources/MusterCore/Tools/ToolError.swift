import Foundation

/// A failure a tool reports to the model as an error result (never aborts the turn).
public struct ToolError: Error, Equatable, CustomStringConvertible, LocalizedError {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var errorDescription: String? { message }

    /// A missing or mistyped argument.
    public static func badArgument(_ name: String, expected: String, in arguments: JSONValue) -> ToolError {
        if let value = arguments[name] {
            return ToolError("Invalid argument \"\(name)\": expected \(expected), found \(value.typeName).")
        }
        return ToolError("Missing argument \"\(name)\": expected \(expected).")
    }
}
