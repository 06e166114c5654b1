/// What a tool call returns to the model.
public struct ToolOutput: Sendable, Equatable {
    public var content: String
    public var isError: Bool

    public init(_ content: String, isError: Bool = false) {
        self.content = content
        self.isError = isError
    }

    public static func error(_ message: String) -> ToolOutput { ToolOutput(message, isError: true) }
}
