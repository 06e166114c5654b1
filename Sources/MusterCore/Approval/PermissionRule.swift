/// A standing approval: `shell: make test`, `shell: git *`, `edit: docs/*` (`write_file` and
/// `edit_file`), from `--allow` or `/allow`.
///
/// A `*` matches any run of characters except those that let a shell do more than one plain
/// command (`;` `&` `|` `<` `>` `` ` `` `$` `(` `)` `{` `}` and line breaks), so `shell: git *`
/// never approves `git log; rm -rf ~`. Without `*` the pattern must equal the command.
public struct PermissionRule: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    /// What a rule approves.
    public enum Kind: String, Sendable, Equatable, Hashable, CaseIterable, Codable {
        case shell
        case edit
    }

    public let kind: Kind
    public let pattern: String

    /// Characters a `*` never matches.
    static let unsafe: Set<Character> = [";", "&", "|", "<", ">", "`", "$", "(", ")", "{", "}", "\n", "\r", "\r\n", "\0"]

    public init(kind: Kind, pattern: String) {
        self.kind = kind
        self.pattern = pattern
    }

    /// Parses `shell: make test`; nil with the reason when it is not a rule.
    public static func parse(_ text: String) -> Result<PermissionRule, PermissionRuleError> {
        guard let colon = text.firstIndex(of: ":") else { return .failure(PermissionRuleError(text: text)) }
        let word = text[..<colon].trimmingCharacters(in: .whitespaces)
        let pattern = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        guard let kind = Kind(rawValue: word), !pattern.isEmpty else { return .failure(PermissionRuleError(text: text)) }
        return .success(PermissionRule(kind: kind, pattern: pattern))
    }

    public var description: String { "\(kind.rawValue): \(pattern)" }

    /// True when the rule approves `subject` (a shell command, or a file's path below the root).
    public func matches(_ subject: String) -> Bool {
        Self.match(Array(pattern), Array(subject))
    }

    private static func match(_ pattern: [Character], _ subject: [Character]) -> Bool {
        // Iterative glob with backtracking to the last star, stars never crossing unsafe characters.
        var p = 0
        var s = 0
        var star: (pattern: Int, subject: Int)?
        while s < subject.count {
            if p < pattern.count, pattern[p] == "*" {
                star = (p, s)
                p += 1
            } else if p < pattern.count, pattern[p] == subject[s] {
                p += 1
                s += 1
            } else if let last = star, !unsafe.contains(subject[last.subject]) {
                star = (last.pattern, last.subject + 1)
                p = last.pattern + 1
                s = last.subject + 1
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}

/// Text that is not a rule.
public struct PermissionRuleError: Error, Equatable, CustomStringConvertible {
    public let text: String
    public var description: String {
        "\"\(text)\" is not a rule; write shell: COMMAND or edit: PATH (a * matches any text), e.g. 'shell: make test', 'shell: git *'."
    }
}
