/// Finds the real command a mistyped one was probably meant to be.
enum CommandSuggestion {
    /// Words people type for a command Muster names differently.
    static let aliases: [String: String] = ["exit": "quit", "q": "quit", "bye": "quit", "stop": "cancel", "task": "tasks", "ps": "tasks", "?": "help", "h": "help", "cls": "clear"]

    /// The closest command name to `typed`, or nil when none is close.
    static func closest(to typed: String, among names: [String] = SlashCommandDescriptor.names) -> String? {
        let word = typed.lowercased()
        guard !word.isEmpty else { return nil }
        if let alias = aliases[word] { return alias }
        let prefixed = names.filter { $0.hasPrefix(word) }
        if prefixed.count == 1 { return prefixed[0] }
        let scored = names.map { (name: $0, distance: editDistance(word, $0)) }
        guard let best = scored.min(by: { $0.distance < $1.distance }) else { return nil }
        // Close means at most two edits, and fewer edits than the word has letters.
        guard best.distance <= 2, best.distance < word.count else { return nil }
        return best.name
    }
}
