import MusterCore

/// Completes slash-command names (and their subcommand words) for the Tab key.
public struct CommandCompleter: Sendable, Equatable {
    /// What Tab does to a line.
    public enum Completion: Equatable, Sendable {
        /// Replace the line with this text (the cursor goes to its end).
        case replace(String)
        /// Several candidates share no longer prefix: show them.
        case candidates([String])
        /// Nothing to complete.
        case none
    }

    /// Ids of the running tasks, offered after `/tasks show `, `/tasks stop ` and `/cancel `.
    public var taskIDs: [Int]

    /// A completer over the slash-command catalogue and the running tasks' ids.
    public init(taskIDs: [Int] = []) {
        self.taskIDs = taskIDs
    }

    /// Completes `line` when it is a slash command being typed at its end.
    public func complete(_ line: String) -> Completion {
        guard line.hasPrefix("/"), !line.contains(where: { $0 == "\t" }) else { return .none }
        let endsInSpace = line.last == " "
        let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        if words.count == 1, !endsInSpace {
            let typed = String(words[0].dropFirst()).lowercased()
            let matches = SlashCommandDescriptor.names.filter { $0.hasPrefix(typed) }
            return resolve(matches, typed: typed) { "/" + $0 }
        }
        let command = String(words[0].dropFirst()).lowercased()
        // The word being typed, and what comes before it.
        let typed = endsInSpace ? "" : words.last ?? ""
        let before = endsInSpace ? words : Array(words.dropLast())
        let head = "/\(command) " + before.dropFirst().map { $0 + " " }.joined()
        var choices: [String] = []
        switch (command, before.count) {
        case ("tasks", 1), ("cancel", 1):
            choices = SlashCommandDescriptor.subcommands(of: command)
        default:
            break
        }
        let takesID = (command == "cancel" && before.count == 1)
            || (command == "tasks" && before.count == 2 && ["show", "stop", "send", "pause", "resume"].contains(before[1].lowercased()))
        guard !choices.isEmpty || takesID else { return .none }
        let lowered = typed.lowercased()
        var matches = choices.filter { $0.hasPrefix(lowered) }
        if takesID {
            // Ids as typed: `7` or `#7`.
            let hash = typed.hasPrefix("#") ? "#" : ""
            let digits = typed.dropFirst(hash.count)
            matches += taskIDs.map { hash + String($0) }.filter { $0.dropFirst(hash.count).hasPrefix(digits) }
        }
        // Listed, a word shows as its whole line, an id as `#7`.
        let label: (String) -> String = { match in choices.contains(match) ? head + match : "#" + match.drop { $0 == "#" } }
        return resolve(matches, typed: typed, label: label) { head + $0 }
    }

    /// One match replaces the word; several extend it to their common prefix, or are listed
    /// (each as `label` gives it; by default as the whole line).
    private func resolve(
        _ matches: [String], typed: String, label: ((String) -> String)? = nil, render: (String) -> String
    ) -> Completion {
        switch matches.count {
        case 0:
            return .none
        case 1:
            return .replace(render(matches[0]) + " ")
        default:
            let common = matches.dropFirst().reduce(matches[0]) { prefix, word in
                String(zip(prefix, word).prefix { $0 == $1 }.map(\.0))
            }
            if common.count > typed.count { return .replace(render(common)) }
            return .candidates(matches.map { label?($0) ?? render($0) })
        }
    }
}
