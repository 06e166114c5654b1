/// Reads the `id` argument as `7`, `#7`, or the number 7.
func taskID(from arguments: JSONValue) throws(ToolError) -> TaskID {
    if let number = arguments["id"]?.intValue, number > 0 { return TaskID(number) }
    if let text = arguments["id"]?.stringValue, let id = TaskID(parsing: text) { return id }
    throw ToolError.badArgument("id", expected: "a task id such as #7", in: arguments)
}
