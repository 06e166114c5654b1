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

    /// A completer over the slash-command catalogue.
    public init() {}

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
        let subcommands = SlashCommandDescriptor.subcommands(of: command)
        guard !subcommands.isEmpty else { return .none }
        if words.count == 1, endsInSpace {
            return resolve(subcommands, typed: "") { "/\(command) " + $0 }
        }
        guard words.count == 2, !endsInSpace else { return .none }
        let typed = words[1].lowercased()
        return resolve(subcommands.filter { $0.hasPrefix(typed) }, typed: typed) { "/\(command) " + $0 }
    }

    private func resolve(_ matches: [String], typed: String, render: (String) -> String) -> Completion {
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
            return .candidates(matches.map(render))
        }
    }
}
