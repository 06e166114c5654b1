import MusterCore

/// `fail {}`: always throws a `ToolError`.
public struct FailTool: Tool {
    public let spec = ToolSpec(name: "fail", description: "test", parameters: ["type": "object"])
    public var isConcurrencySafe: Bool { true }

    public init() {}

    public func run(_ arguments: JSONValue, context: ToolContext) async throws -> ToolOutput {
        throw ToolError("this tool always fails")
    }
}
