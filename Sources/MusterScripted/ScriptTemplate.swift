import Foundation
import MusterCore

/// The `{{variable}}` placeholders of script text and string arguments: which exist, and how
/// they are filled in from a conversation.
struct ScriptTemplate: Sendable, Equatable {
    /// Every variable a script may use, sorted.
    static let variableNames = [
        "agent", "background_duration", "background_name", "background_result", "background_status", "background_still_running",
        "background_task", "input", "last_tool_result", "prompt", "tool_errors", "tool_ok_count", "tool_results", "workspace",
    ]

    /// How the agent loop marks a failed call's result for the model.
    static let errorPrefix = "Error: "
    /// How long `{{input}}` and `{{prompt}}` may grow before they are cut.
    static let messageLimit = 200
    /// How long `{{last_tool_result}}` and `{{tool_results}}` may grow before they are cut.
    static let toolResultLimit = 600

    /// Value of each variable for one request.
    let values: [String: String]

    /// Fills the variables from a request's conversation.
    init(request: ModelRequest, workspace: URL?) {
        let toolResults = Self.toolResultsOfLastTurn(request.messages)
        let lastToolResult = request.messages.reversed().lazy.compactMap { message -> String? in
            if case .tool(_, _, let content) = message { Self.withoutSuccessStatus(content) } else { nil }
        }.first
        var values = [
            "agent": request.agentName,
            "input": Self.shorten(request.latestUserMessage ?? "", to: Self.messageLimit),
            "prompt": Self.shorten(request.prompt ?? "", to: Self.messageLimit),
            "last_tool_result": Self.shorten(lastToolResult ?? "", to: Self.toolResultLimit),
            "tool_results": Self.shorten(toolResults.joined(separator: "\n"), to: Self.toolResultLimit),
            "tool_ok_count": String(toolResults.filter { !$0.hasPrefix(Self.errorPrefix) }.count),
            "tool_errors": Self.shorten(
                toolResults.filter { $0.hasPrefix(Self.errorPrefix) }.map { String($0.dropFirst(Self.errorPrefix.count)) }.joined(separator: "\n"),
                to: Self.toolResultLimit
            ),
            "workspace": workspace?.path ?? ".",
        ]
        let background = Self.backgroundResultFields(request.latestUserMessage ?? "")
        for name in ["duration", "name", "result", "status", "still_running", "task"] {
            values["background_\(name)"] = Self.shorten(background[name] ?? "", to: Self.toolResultLimit)
        }
        self.values = values
    }

    /// The fields of a background result message (`BackgroundResultMessage`): `task`, `name`,
    /// `status`, `duration` from its opening tag, and `result` (the summary, or the error); empty
    /// for any other message.
    static func backgroundResultFields(_ message: String) -> [String: String] {
        let opening = "<\(BackgroundResultMessage.tag)"
        guard message.hasPrefix(opening), let tagEnd = message.firstIndex(of: ">") else { return [:] }
        var fields: [String: String] = [:]
        let attributes = /([a-z_]+)="([^"]*)"/
        for match in message[message.index(message.startIndex, offsetBy: opening.count)..<tagEnd].matches(of: attributes) {
            fields[String(match.output.1)] = unescape(String(match.output.2))
        }
        for element in ["result", "error"] {
            guard let start = message.range(of: "<\(element)>"),
                  let end = message.range(of: "</\(element)>", range: start.upperBound..<message.endIndex) else { continue }
            fields["result"] = unescape(String(message[start.upperBound..<end.lowerBound]).trimmingCharacters(in: .whitespacesAndNewlines))
            break
        }
        return fields
    }

    /// Undoes `BackgroundResultMessage.escape`.
    private static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    /// A tool result without the shell tool's closing `[exit status 0]` line: on success that line
    /// says nothing, and scripts quote results (a path, a count) in text and arguments.
    static func withoutSuccessStatus(_ content: String) -> String {
        let trimmed = content.trimmingCharacters(in: .whitespacesAndNewlines)
        let marker = "[exit status 0]"
        guard trimmed.hasSuffix(marker) else { return trimmed }
        let rest = trimmed.dropLast(marker.count)
        guard rest.isEmpty || rest.hasSuffix("\n") else { return trimmed }
        return rest.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Every `{{name}}` in `text` whose name is a word (other braces are plain text).
    static func variables(in text: String) -> [String] {
        var names: [String] = []
        forEachPlaceholder(in: text) { name, _ in names.append(name) }
        return names
    }

    /// `text` with every known variable replaced by its value.
    func render(_ text: String) -> String {
        guard text.contains("{{") else { return text }
        var output = ""
        var copiedUpTo = text.startIndex
        Self.forEachPlaceholder(in: text) { name, range in
            guard let value = values[name] else { return }
            output += text[copiedUpTo..<range.lowerBound]
            output += value
            copiedUpTo = range.upperBound
        }
        output += text[copiedUpTo...]
        return output
    }

    /// Whether a string inside `value` may hold a placeholder (`render` leaves it as it is otherwise).
    static func hasPlaceholder(_ value: JSONValue) -> Bool {
        switch value {
        case .string(let text): text.contains("{{")
        case .array(let elements): elements.contains(where: hasPlaceholder)
        case .object(let members): members.values.contains(where: hasPlaceholder)
        case .null, .bool, .number: false
        }
    }

    /// A JSON value with every string inside it rendered.
    func render(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text): .string(render(text))
        case .array(let elements): .array(elements.map(render))
        case .object(let members): .object(members.mapValues(render))
        case .null, .bool, .number: value
        }
    }

    /// Calls `body` with the name and range of each `{{name}}`, in order.
    private static func forEachPlaceholder(in text: String, _ body: (String, Range<String.Index>) -> Void) {
        var searchStart = text.startIndex
        while let open = text.range(of: "{{", range: searchStart..<text.endIndex) {
            guard let close = text.range(of: "}}", range: open.upperBound..<text.endIndex) else { return }
            let name = text[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if !name.isEmpty, name.unicodeScalars.allSatisfy({ $0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0) }) {
                body(name, open.lowerBound..<close.upperBound)
                searchStart = close.upperBound
            } else {
                searchStart = text.index(after: open.lowerBound)
            }
        }
    }

    /// The results of the tool calls answered since the newest assistant message.
    private static func toolResultsOfLastTurn(_ messages: [ChatMessage]) -> [String] {
        var results: [String] = []
        for message in messages.reversed() {
            guard case .tool(_, _, let content) = message else { break }
            results.append(withoutSuccessStatus(content))
        }
        return results.reversed()
    }

    /// Trimmed of surrounding blanks and cut to `limit` characters with a trailing ellipsis.
    static func shorten(_ text: String, to limit: Int) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count > limit else { return trimmed }
        return String(trimmed.prefix(limit - 1)).trimmingCharacters(in: .whitespaces) + "…"
    }
}
