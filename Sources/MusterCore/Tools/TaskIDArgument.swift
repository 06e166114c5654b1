/// Reads the task id argument `key` (`id` unless said) as `7`, `#7`, or the number 7.
func taskID(from arguments: JSONValue, key: String = "id") throws(ToolError) -> TaskID {
    if let number = arguments[key]?.intValue, number > 0 { return TaskID(number) }
    if let text = arguments[key]?.stringValue, let id = TaskID(parsing: text) { return id }
    throw ToolError.badArgument(key, expected: "a task id such as #7", in: arguments)
}
