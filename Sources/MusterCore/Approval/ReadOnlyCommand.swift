/// Decides whether a shell command only reads, so that mode `ask` may run it without asking.
///
/// Strict by design: when unsure, a command is not read-only. The command is lexed the way
/// `sh` would see its quoting; outside single quotes any of `;` `&` `<` `>` `` ` `` `$` `(` `)`
/// `{` `}` `#` `!`, a `~` that starts a word, and a newline or carriage return anywhere, make it not read-only (sequences,
/// redirections, substitutions, expansions, subshells, background jobs). What is left is a
/// pipeline split at `|`; every stage must be a command on the list, named plainly (no path,
/// no `VAR=value` before it), with none of the options that make it write or run something
/// (`find -exec`, `find -delete`, `sort -o`, `rg --pre`, `git -c`, `git diff --output`, ...).
public enum ReadOnlyCommand {
    /// Commands that only read whatever their plain arguments are (options checked below).
    static let plainReaders: Set<String> = [
        "ls", "cat", "head", "tail", "wc", "grep", "egrep", "fgrep", "rg", "pwd", "echo", "stat",
        "du", "df", "tree", "sort", "cut", "nl", "basename", "dirname", "realpath", "readlink",
        "which", "whoami", "id", "uname", "true", "false", "diff", "cmp", "md5sum", "sha1sum",
        "sha256sum", "find", "git", "tr", "rev", "column", "od", "hexdump",
    ]

    /// `git` subcommands that only read (their writing options are refused below).
    static let gitReaders: Set<String> = [
        "status", "diff", "log", "show", "blame", "ls-files", "rev-parse", "shortlog", "describe",
        "branch", "tag", "remote",
    ]

    /// `find` actions that write or run something.
    static let findWriters: Set<String> = [
        "-exec", "-execdir", "-ok", "-okdir", "-delete", "-fprint", "-fprint0", "-fprintf", "-fls",
    ]

    /// True when `command` certainly only reads.
    public static func isReadOnly(_ command: String) -> Bool {
        guard let stages = pipeline(command), !stages.isEmpty else { return false }
        return stages.allSatisfy(isReadOnly(stage:))
    }

    /// The pipeline's stages as words (quotes removed), or nil when the command has anything
    /// but plain words and `|`.
    static func pipeline(_ command: String) -> [[String]]? {
        var stages: [[String]] = []
        var words: [String] = []
        var word = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for character in command {
            if character == "\n" || character == "\r" || character == "\r\n" || character == "\0" { return nil }
            if escaped {
                word.append(character)
                escaped = false
                continue
            }
            switch quote {
            case "'":
                if character == "'" { quote = nil } else { word.append(character) }
                continue
            case "\"":
                switch character {
                case "\"": quote = nil
                case "$", "`", "\\": return nil
                default: word.append(character)
                }
                continue
            default:
                break
            }
            switch character {
            case "\\":
                escaped = true
                inWord = true
            case "'", "\"":
                quote = character
                inWord = true
            case " ", "\t":
                if inWord { words.append(word) }
                word = ""
                inWord = false
            case "|":
                if inWord { words.append(word) }
                guard !words.isEmpty else { return nil }
                stages.append(words)
                words = []
                word = ""
                inWord = false
            case ";", "&", "<", ">", "`", "$", "(", ")", "{", "}", "#", "!":
                return nil
            case "~" where !inWord:
                // Tilde expansion (only at the start of a word).
                return nil
            default:
                word.append(character)
                inWord = true
            }
        }
        guard quote == nil, !escaped else { return nil }
        if inWord { words.append(word) }
        guard !words.isEmpty else { return nil }
        stages.append(words)
        return stages
    }

    private static func isReadOnly(stage words: [String]) -> Bool {
        guard let name = words.first, plainReaders.contains(name) else { return false }
        let arguments = words.dropFirst()
        switch name {
        case "find":
            return !arguments.contains { findWriters.contains($0) }
        case "sort":
            return !arguments.contains { $0 == "-o" || $0.hasPrefix("--output") || ($0.hasPrefix("-") && !$0.hasPrefix("--") && $0.contains("o")) }
        case "rg":
            return !arguments.contains { $0.hasPrefix("--pre") || $0 == "-z" || $0 == "--search-zip" }
        case "git":
            return isReadOnlyGit(Array(arguments))
        case "tree":
            return !arguments.contains { $0 == "-o" }
        default:
            return true
        }
    }

    private static func isReadOnlyGit(_ arguments: [String]) -> Bool {
        // No global options at all (-c, -C, --exec-path, --git-dir, ...): the subcommand first.
        guard let subcommand = arguments.first, gitReaders.contains(subcommand) else { return false }
        let rest = arguments.dropFirst()
        // Options that write files, run programs or open pagers and editors.
        let refused = ["--output", "--ext-diff", "--open-files-in-pager", "-O", "--exec", "--upload-pack", "--edit"]
        if rest.contains(where: { argument in refused.contains { argument == $0 || argument.hasPrefix($0 + "=") } }) {
            return false
        }
        switch subcommand {
        case "branch", "tag", "remote":
            // Listing only: no arguments but listing flags.
            let listing: Set<String> = ["-a", "-r", "-v", "-vv", "--list", "-l", "--all", "--remotes", "--verbose", "--show-current"]
            return rest.allSatisfy { listing.contains($0) }
        default:
            return true
        }
    }
}
