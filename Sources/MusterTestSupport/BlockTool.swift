import MusterCore

/// `block {}`: reports `blocking`, waits at `latch`, and counts the calls that got through by agent name.
public struct BlockTool: Tool {
    public let spec = ToolSpec(name: "block", description: "test", parameters: ["type": "object"])
    let latch: Gate
    let completions: Tally
    public var isConcurrencySafe: Bool { true }

    /// Calls wait at `latch`; `completions` counts those that pass it.
    public init(latch: Gate, completions: Tally) {
        self.latch = latch
        self.completions = completions
    }

    public func run(_ arguments: JSONValue, context: ToolContext) async throws -> ToolOutput {
        context.progress.report("blocking")
        try await latch.wait()
        completions.add(context.agent.name)
        return ToolOutput("unblocked")
    }
}
