import MusterCore

/// `emit {tag, count}`: reports `count` progress lines, `tag:0` … `tag:(count-1)` unless `line`
/// says otherwise, then returns the tag.
public struct EmitTool: Tool {
    /// One progress line from the tag and the line's index.
    public typealias Line = @Sendable (_ tag: String, _ index: Int) -> String

    public let spec: ToolSpec
    /// Nil for `tag:index`, written inline: the throughput benchmark's hot path.
    let line: Line?
    public var isConcurrencySafe: Bool { true }

    /// The tool, called `name`, writing lines with `line`.
    public init(name: String = "emit", line: Line? = nil) {
        spec = ToolSpec(name: name, description: "test", parameters: ["type": "object"])
        self.line = line
    }

    public func run(_ arguments: JSONValue, context: ToolContext) async throws -> ToolOutput {
        let tag = try arguments.requiredString("tag")
        let count = try arguments.optionalInt("count") ?? 0
        if let line {
            for index in 0..<count { context.progress.report(line(tag, index)) }
        } else {
            for index in 0..<count { context.progress.report("\(tag):\(index)") }
        }
        return ToolOutput(tag)
    }
}
