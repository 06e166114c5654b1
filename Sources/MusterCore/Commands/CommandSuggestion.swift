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

    /// Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var best = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    best = min(best, table[i - 2][j - 2] + 1)
                }
                table[i][j] = best
            }
        }
        return table[a.count][b.count]
    }
}
