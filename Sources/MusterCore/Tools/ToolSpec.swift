/// How a tool is offered to a model: name, description and JSON schema of its arguments.
public struct ToolSpec: Sendable, Equatable {
    public let name: String
    public let description: String
    /// JSON schema of the arguments object.
    public let parameters: JSONValue

    public init(name: String, description: String, parameters: JSONValue) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }
}
