import Foundation
import MusterCore

/// Reads a script file and checks every part of it, so that a mistake is reported once, clearly,
/// with the file, the place in the document and what was expected, before anything runs.
public enum ScriptLoader {
    /// The names of Muster's built-in tools.
    public static let builtInToolNames: Set<String> = [
        "agent", "cancel_task", "grep", "list_files", "list_tasks", "read_file", "shell", "wait_task",
    ]

    /// The largest script file read (far above any real script).
    static let maximumBytes = 16 << 20

    /// Loads the script at `url`; `knownTools` are the tool names its calls may use.
    public static func load(from url: URL, knownTools: Set<String> = builtInToolNames) throws(ScriptError) -> Script {
        let origin = url.lastPathComponent
        // Say what is wrong with a path that is no script file, before reading it: a directory
        // gave "NSCocoaErrorDomain error 256" and /dev/zero "You don't have permission".
        var info = stat()
        if stat(url.path, &info) == 0 {
            let type = info.st_mode & S_IFMT
            if type == S_IFDIR {
                throw ScriptError(file: origin, location: "", problem: "cannot read \(url.path): it is a directory, not a script file")
            }
            if type != S_IFREG {
                throw ScriptError(file: origin, location: "", problem: "cannot read \(url.path): it is not a regular file")
            }
            if info.st_size > Self.maximumBytes {
                throw ScriptError(file: origin, location: "", problem: "cannot read \(url.path): it is \(info.st_size) bytes; a script may have at most \(Self.maximumBytes)")
            }
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ScriptError(file: origin, location: "", problem: "cannot read \(url.path): \(Self.reason(error))")
        }
        return try load(data: data, origin: origin, knownTools: knownTools)
    }

    /// Loads a script from its JSON bytes; `origin` names it in messages.
    static func load(data: Data, origin: String, knownTools: Set<String> = builtInToolNames) throws(ScriptError) -> Script {
        let document: JSONValue
        do {
            document = try ScriptJSONParser.parse(data)
        } catch {
            throw ScriptError(file: origin, location: "line \(error.line), column \(error.column)",
                              problem: "malformed JSON: \(error.message)")
        }
        return try ScriptValidator(origin: origin, knownTools: knownTools).script(from: document)
    }

    /// Loads a script from JSON text (handy for tests and inline scripts).
    public static func load(text: String, origin: String = "inline script", knownTools: Set<String> = builtInToolNames) throws(ScriptError) -> Script {
        try load(data: Data(text.utf8), origin: origin, knownTools: knownTools)
    }

    private static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
           let code = POSIXErrorCode(rawValue: Int32(underlying.code)) {
            return POSIXError(code).localizedDescription
        }
        if nsError.domain == NSCocoaErrorDomain, nsError.code == NSFileReadNoSuchFileError { return "no such file" }
        return nsError.localizedDescription
    }
}

/// Walks a parsed document and turns it into a `Script`, throwing at the first mistake.
private struct ScriptValidator {
    let origin: String
    let knownTools: Set<String>

    private static let rootKeys = ["agents", "approvals", "description", "version"]
    private static let agentKeys = ["scenarios"]
    private static let scenarioKeys = ["description", "example", "match", "name", "turns"]
    private static let turnKeys = ["chunk_chars", "chunk_delay_ms", "say", "tools", "usage", "wait_ms"]
    private static let toolCallKeys = ["args", "tool"]
    private static let usageKeys = ["input", "output"]

    /// The script a whole document describes, or the first mistake in it.
    func script(from document: JSONValue) throws(ScriptError) -> Script {
        let root = ScriptPath.root
        let members = try object(document, at: root, expected: "an object with \"version\" and \"agents\"", keys: Self.rootKeys)

        guard let version = members["version"] else {
            throw failure(root, "missing field \"version\"; expected \"version\": \(Script.supportedVersion)")
        }
        guard let number = version.doubleValue else {
            throw failure(root.appending("version"), "expected the number \(Script.supportedVersion), found \(describe(version))")
        }
        guard number == Double(Script.supportedVersion) else {
            throw failure(root.appending("version"), "unsupported version \(describe(version)); expected \(Script.supportedVersion)")
        }
        let summary = try optionalString(members, "description", at: root)

        let agentsPath = root.appending("agents")
        guard let agentsValue = members["agents"] else {
            throw failure(root, "missing field \"agents\"; expected an object mapping agent names to their scenarios")
        }
        let agentMembers = try object(agentsValue, at: agentsPath, expected: "an object mapping agent names to their scenarios", keys: nil)
        guard !agentMembers.isEmpty else {
            throw failure(agentsPath, "no agents; expected at least one agent, e.g. \"main\"")
        }
        var agents: [String: Script.Agent] = [:]
        // Sorted so that, of several mistakes, the same one is always reported.
        for name in agentMembers.keys.sorted() {
            let path = agentsPath.appending(name)
            guard !name.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw failure(path, "an agent name cannot be empty; expected a name such as \"main\" or \"*\"")
            }
            agents[name] = try agent(agentMembers[name]!, at: path)
        }
        return Script(origin: origin, summary: summary, agents: agents, approvals: try approvals(members, at: root))
    }

    /// The optional `approvals`: the rules (`shell: COMMAND`, `edit: PATH`) the script's calls
    /// expect, so that it plays in mode `ask` without stopping at every call.
    private func approvals(_ members: [String: JSONValue], at root: ScriptPath) throws(ScriptError) -> [PermissionRule] {
        guard let value = members["approvals"] else { return [] }
        let path = root.appending("approvals")
        guard let elements = value.arrayValue else {
            throw failure(path, "expected an array of rules such as \"shell: make test\", found \(describe(value))")
        }
        var rules: [PermissionRule] = []
        for (index, element) in elements.enumerated() {
            guard let text = element.stringValue else {
                throw failure(path.appending(index: index), "expected a rule such as \"shell: make test\", found \(describe(element))")
            }
            switch PermissionRule.parse(text) {
            case .success(let rule): rules.append(rule)
            case .failure(let error): throw failure(path.appending(index: index), error.description)
            }
        }
        return rules
    }

    private func agent(_ value: JSONValue, at path: ScriptPath) throws(ScriptError) -> Script.Agent {
        let members = try object(value, at: path, expected: "an object with \"scenarios\"", keys: Self.agentKeys)
        let scenariosPath = path.appending("scenarios")
        let elements = try array(members, "scenarios", at: path, expected: "an array of scenarios")
        guard !elements.isEmpty else {
            throw failure(scenariosPath, "no scenarios; expected at least one scenario")
        }
        var scenarios: [Script.Scenario] = []
        for (index, element) in elements.enumerated() {
            let scenario = try scenario(element, at: scenariosPath.appending(index: index))
            if scenario.match == nil, let first = scenarios.firstIndex(where: { $0.match == nil }) {
                throw failure(scenariosPath.appending(index: index),
                              "a second fallback scenario (no \"match\"); scenarios[\(first)] \(JSONValue.string(scenarios[first].name).jsonText) is already the fallback, so this one could never run; give it a \"match\"")
            }
            scenarios.append(scenario)
        }
        return Script.Agent(scenarios: scenarios)
    }

    private func scenario(_ value: JSONValue, at path: ScriptPath) throws(ScriptError) -> Script.Scenario {
        let members = try object(value, at: path, expected: "an object with \"name\", an optional \"match\" and \"turns\"", keys: Self.scenarioKeys)
        guard let name = try optionalString(members, "name", at: path) else {
            throw failure(path, "missing field \"name\"; expected a string naming the scenario")
        }
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw failure(path.appending("name"), "expected a non-empty name")
        }
        _ = try optionalString(members, "description", at: path)
        let example = try optionalString(members, "example", at: path)
        if let example, example.trimmingCharacters(in: .whitespaces).isEmpty {
            throw failure(path.appending("example"), "expected a non-empty example of what a person types")
        }
        let match = try match(members["match"], at: path.appending("match"))

        let turnsPath = path.appending("turns")
        let elements = try array(members, "turns", at: path, expected: "an array of turns")
        guard !elements.isEmpty else {
            throw failure(turnsPath, "no turns; expected at least one turn")
        }
        var turns: [Script.Turn] = []
        for (index, element) in elements.enumerated() {
            turns.append(try turn(element, at: turnsPath.appending(index: index)))
        }
        return Script.Scenario(name: name, match: match, turns: turns, example: example)
    }

    private func match(_ value: JSONValue?, at path: ScriptPath) throws(ScriptError) -> Script.Match? {
        guard let value, value != .null else { return nil }
        let expectation = "a case-insensitive substring, or a regular expression between slashes like \"/^(hi|hello)\\\\b/\""
        guard let text = value.stringValue else {
            throw failure(path, "expected \(expectation), found \(describe(value))")
        }
        guard !text.isEmpty else {
            throw failure(path, "an empty match would fit every message; leave \"match\" out to make a fallback scenario, or expected \(expectation)")
        }
        guard text.count >= 2, text.hasPrefix("/"), text.hasSuffix("/") else { return .substring(text) }
        let pattern = String(text.dropFirst().dropLast())
        guard !pattern.isEmpty else {
            throw failure(path, "the regular expression \"//\" is empty; expected a pattern between the slashes")
        }
        guard Script.Match.compile(pattern) != nil else {
            // NSRegularExpression on Linux only says "The value is invalid": ask Swift's parser why.
            let reason: String
            do {
                _ = try Regex(pattern)
                reason = "not valid ICU regular expression syntax"
            } catch {
                reason = "\(error)"
            }
            throw failure(path, "the regular expression \(text) does not compile (\(reason)); expected a valid regular expression between the slashes")
        }
        return .regex(pattern)
    }

    private func turn(_ value: JSONValue, at path: ScriptPath) throws(ScriptError) -> Script.Turn {
        let members = try object(value, at: path, expected: "an object with \"say\" and/or \"tools\"", keys: Self.turnKeys)
        let wait = try milliseconds(members, "wait_ms", at: path) ?? .zero
        let chunkDelay = try milliseconds(members, "chunk_delay_ms", at: path) ?? Script.Turn.defaultChunkDelay
        var chunkCharacters = Script.Turn.defaultChunkCharacters
        if let raw = members["chunk_chars"] {
            guard let count = raw.intValue, count >= 1 else {
                throw failure(path.appending("chunk_chars"), "expected a whole number of characters, 1 or more; found \(describe(raw))")
            }
            chunkCharacters = count
        }
        let say = try optionalString(members, "say", at: path)
        if let say { try checkTemplate(say, at: path.appending("say")) }

        var toolCalls: [Script.ToolCallTemplate] = []
        if members["tools"] != nil {
            let toolsPath = path.appending("tools")
            let elements = try array(members, "tools", at: path, expected: "an array of tool calls")
            guard !elements.isEmpty else {
                throw failure(toolsPath, "an empty list of tools; expected at least one tool call, or leave \"tools\" out for a final answer")
            }
            for (index, element) in elements.enumerated() {
                toolCalls.append(try toolCall(element, at: toolsPath.appending(index: index)))
            }
        }
        guard say != nil || !toolCalls.isEmpty else {
            throw failure(path, "the turn neither says anything nor calls a tool; expected \"say\", \"tools\" or both")
        }
        return Script.Turn(wait: wait, say: say, chunkCharacters: chunkCharacters, chunkDelay: chunkDelay,
                           toolCalls: toolCalls, usage: try usage(members["usage"], at: path.appending("usage")))
    }

    private func toolCall(_ value: JSONValue, at path: ScriptPath) throws(ScriptError) -> Script.ToolCallTemplate {
        let members = try object(value, at: path, expected: "an object with \"tool\" and optional \"args\"", keys: Self.toolCallKeys)
        let toolList = knownTools.isEmpty ? "(no tools are available)" : knownTools.sorted().joined(separator: ", ")
        guard let rawTool = members["tool"] else {
            throw failure(path, "missing field \"tool\"; expected one of: \(toolList)")
        }
        guard let tool = rawTool.stringValue else {
            throw failure(path.appending("tool"), "expected a tool name (one of: \(toolList)), found \(describe(rawTool))")
        }
        guard knownTools.contains(tool) else {
            throw failure(path.appending("tool"), "unknown tool \(JSONValue.string(tool).jsonText); expected one of: \(toolList)\(suggestion(for: tool, among: knownTools))")
        }
        var arguments = JSONValue.object([:])
        if let rawArguments = members["args"] {
            guard rawArguments.objectValue != nil else {
                throw failure(path.appending("args"), "expected an object of arguments, found \(describe(rawArguments))")
            }
            try checkTemplates(in: rawArguments, at: path.appending("args"))
            arguments = rawArguments
        }
        return Script.ToolCallTemplate(tool: tool, arguments: arguments)
    }

    private func usage(_ value: JSONValue?, at path: ScriptPath) throws(ScriptError) -> Script.UsageOverride? {
        guard let value else { return nil }
        let members = try object(value, at: path, expected: "an object with \"input\" and/or \"output\" token counts", keys: Self.usageKeys)
        var counts: [String: Int] = [:]
        for key in Self.usageKeys {
            guard let raw = members[key] else { continue }
            guard let count = raw.intValue, count >= 0 else {
                throw failure(path.appending(key), "expected a whole number of tokens, 0 or more; found \(describe(raw))")
            }
            counts[key] = count
        }
        return Script.UsageOverride(input: counts["input"], output: counts["output"])
    }

    // MARK: - Templates

    private func checkTemplate(_ text: String, at path: ScriptPath) throws(ScriptError) {
        for name in ScriptTemplate.variables(in: text) where !ScriptTemplate.variableNames.contains(name) {
            let known = ScriptTemplate.variableNames.map { "{{\($0)}}" }.joined(separator: ", ")
            throw failure(path, "unknown template variable {{\(name)}}; expected one of: \(known)\(suggestion(for: name, among: Set(ScriptTemplate.variableNames)))")
        }
    }

    private func checkTemplates(in value: JSONValue, at path: ScriptPath) throws(ScriptError) {
        switch value {
        case .string(let text):
            try checkTemplate(text, at: path)
        case .array(let elements):
            for (index, element) in elements.enumerated() { try checkTemplates(in: element, at: path.appending(index: index)) }
        case .object(let members):
            for key in members.keys.sorted() { try checkTemplates(in: members[key]!, at: path.appending(key)) }
        case .null, .bool, .number:
            break
        }
    }

    // MARK: - Typed access

    /// The members of an object, after refusing any key outside `keys` (nil allows any key).
    private func object(_ value: JSONValue, at path: ScriptPath, expected: String, keys: [String]?) throws(ScriptError) -> [String: JSONValue] {
        guard let members = value.objectValue else {
            throw failure(path, "expected \(expected), found \(describe(value))")
        }
        if let keys {
            for key in members.keys.sorted() where !keys.contains(key) {
                throw failure(path, "unknown key \(JSONValue.string(key).jsonText); expected one of: \(keys.joined(separator: ", "))\(suggestion(for: key, among: Set(keys)))")
            }
        }
        return members
    }

    private func array(_ members: [String: JSONValue], _ key: String, at path: ScriptPath, expected: String) throws(ScriptError) -> [JSONValue] {
        guard let value = members[key] else {
            throw failure(path, "missing field \(JSONValue.string(key).jsonText); expected \(expected)")
        }
        guard let elements = value.arrayValue else {
            throw failure(path.appending(key), "expected \(expected), found \(describe(value))")
        }
        return elements
    }

    private func optionalString(_ members: [String: JSONValue], _ key: String, at path: ScriptPath) throws(ScriptError) -> String? {
        guard let value = members[key] else { return nil }
        guard let text = value.stringValue else {
            throw failure(path.appending(key), "expected a string, found \(describe(value))")
        }
        return text
    }

    private func milliseconds(_ members: [String: JSONValue], _ key: String, at path: ScriptPath) throws(ScriptError) -> Duration? {
        guard let value = members[key] else { return nil }
        guard let count = value.intValue, count >= 0 else {
            throw failure(path.appending(key), "expected a whole number of milliseconds, 0 or more; found \(describe(value))")
        }
        return .milliseconds(count)
    }

    // MARK: - Messages

    private func failure(_ path: ScriptPath, _ problem: String) -> ScriptError {
        ScriptError(file: origin, location: path.description, problem: problem)
    }

    /// A value as a message shows it: numbers and short strings literally, others by type.
    private func describe(_ value: JSONValue) -> String {
        switch value {
        case .number: value.jsonText
        case .string(let text) where text.count <= 40: "the string \(value.jsonText)"
        default: value.typeName
        }
    }

    /// ` (did you mean "say"?)` when one candidate is a likely typo of `word`, else empty.
    private func suggestion(for word: String, among candidates: Set<String>) -> String {
        let scored = candidates.map { (candidate: $0, distance: editDistance(word.lowercased(), $0)) }
        guard let best = scored.min(by: { ($0.distance, $0.candidate) < ($1.distance, $1.candidate) }),
              best.distance <= max(1, min(3, best.candidate.count / 3)) else { return "" }
        return " (did you mean \(JSONValue.string(best.candidate).jsonText)?)"
    }
}
