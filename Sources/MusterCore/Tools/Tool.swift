import Foundation

/// A capability an agent can call. A tool is a value with no mutable state: everything
/// that belongs to one call travels in that call's `ToolContext`.
public protocol Tool: Sendable {
    var spec: ToolSpec { get }
    /// True when calls may run in parallel with other calls of the same turn.
    var isConcurrencySafe: Bool { get }
    /// True when a call may register tasks (`agent`): concurrent calls of the same turn then
    /// register theirs in the order the model listed them (`ToolContext.launchTicket`).
    var startsTasks: Bool { get }
    /// Runs one call. Throw `ToolError` for a clear error result; honour cancellation.
    func run(_ arguments: JSONValue, context: ToolContext) async throws -> ToolOutput
}

extension Tool {
    public var name: String { spec.name }
    public var startsTasks: Bool { false }
}

/// Reads typed arguments with clear errors.
extension JSONValue {
    /// A required string argument.
    public func requiredString(_ name: String) throws(ToolError) -> String {
        guard let value = self[name]?.stringValue else { throw .badArgument(name, expected: "a string", in: self) }
        return value
    }

    /// An optional string argument (absent or null gives nil; another type is an error).
    public func optionalString(_ name: String) throws(ToolError) -> String? {
        guard let raw = self[name], raw != .null else { return nil }
        guard let value = raw.stringValue else { throw .badArgument(name, expected: "a string", in: self) }
        return value
    }

    /// An optional integer argument.
    public func optionalInt(_ name: String) throws(ToolError) -> Int? {
        guard let raw = self[name], raw != .null else { return nil }
        guard let value = raw.intValue else { throw .badArgument(name, expected: "a whole number", in: self) }
        return value
    }

    /// An optional number argument.
    public func optionalDouble(_ name: String) throws(ToolError) -> Double? {
        guard let raw = self[name], raw != .null else { return nil }
        guard let value = raw.doubleValue else { throw .badArgument(name, expected: "a number", in: self) }
        return value
    }

    /// An optional boolean argument.
    public func optionalBool(_ name: String) throws(ToolError) -> Bool? {
        guard let raw = self[name], raw != .null else { return nil }
        guard let value = raw.boolValue else { throw .badArgument(name, expected: "true or false", in: self) }
        return value
    }
}
