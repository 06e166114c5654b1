/// The input line as a pure state machine: Emacs keys, history, and Tab completion.
///
/// Keys in, an action out; no terminal involved, so every binding is unit-tested.
public struct LineEditor: Sendable, Equatable {
    /// The characters of the line.
    public private(set) var characters: [Character] = []
    /// Cursor position, 0...characters.count.
    public private(set) var cursor = 0
    /// Earlier lines, oldest first.
    public private(set) var history: [String]
    /// Position while browsing history (nil: editing the draft).
    private var historyIndex: Int?
    /// The line being typed before browsing history started.
    private var draft: [Character] = []
    /// Text removed by Ctrl-K, Ctrl-U or Ctrl-W; Ctrl-Y puts it back.
    private var killed: [Character] = []
    private var completer = CommandCompleter()
    /// History entries kept.
    public let historyLimit: Int

    /// An empty line with `history` (oldest first) for Up and Down.
    public init(history: [String] = [], historyLimit: Int = 1000) {
        self.historyLimit = historyLimit
        self.history = Array(history.suffix(historyLimit))
    }

    /// The line as text.
    public var text: String { String(characters) }

    /// True when nothing is typed.
    public var isEmpty: Bool { characters.isEmpty }

    /// Applies one key.
    public mutating func handle(_ key: Key) -> LineEditorAction {
        switch key {
        case .character(let character):
            insert([character])
        case .paste(let text):
            // Goes in whole, line breaks included: Enter sends it as one message.
            guard !text.isEmpty else { return .none }
            insert(Array(text))
        case .enter:
            let line = text
            remember(line)
            characters = []
            cursor = 0
            historyIndex = nil
            draft = []
            return .submit(line)
        case .control("d"):
            if characters.isEmpty { return .endOfInput }
            return deleteForward()
        case .control("a"), .home:
            return move(to: 0)
        case .control("e"), .end:
            return move(to: characters.count)
        case .control("b"), .left:
            return move(to: cursor - 1)
        case .control("f"), .right:
            return move(to: cursor + 1)
        case .alt("b"), .alt("B"):
            return move(to: wordStart(before: cursor))
        case .alt("f"), .alt("F"):
            return move(to: wordEnd(after: cursor))
        case .control("k"):
            return kill(cursor..<characters.count)
        case .control("u"):
            return kill(0..<cursor)
        case .control("w"), .altBackspace:
            return kill(wordStart(before: cursor)..<cursor)
        case .alt("d"), .alt("D"):
            return kill(cursor..<wordEnd(after: cursor))
        case .control("y"):
            guard !killed.isEmpty else { return .none }
            insert(killed)
        case .backspace, .control("h"):
            guard cursor > 0 else { return .none }
            characters.remove(at: cursor - 1)
            cursor -= 1
        case .delete:
            return deleteForward()
        case .up, .control("p"):
            return browseHistory(by: -1)
        case .down, .control("n"):
            return browseHistory(by: 1)
        case .tab:
            return complete()
        default:
            return .none
        }
        return .edited
    }

    /// The running tasks' ids, which Tab offers after `/tasks show `, `/tasks stop ` and `/cancel `.
    public mutating func setCompletionTaskIDs(_ ids: [Int]) {
        completer.taskIDs = ids
    }

    /// Replaces the whole line (the cursor goes to its end).
    public mutating func setText(_ text: String) {
        characters = Array(text)
        cursor = characters.count
    }

    /// Adds a line to history (blank lines and repeats of the newest entry are skipped).
    public mutating func remember(_ line: String) {
        guard !line.allSatisfy(\.isWhitespace), history.last != line else { return }
        history.append(line)
        if history.count > historyLimit { history.removeFirst(history.count - historyLimit) }
    }

    /// Empties the line (Ctrl-C with text typed).
    public mutating func clear() {
        characters = []
        cursor = 0
        historyIndex = nil
    }

    private mutating func insert(_ inserted: [Character]) {
        characters.insert(contentsOf: inserted, at: cursor)
        cursor += inserted.count
    }

    private mutating func move(to position: Int) -> LineEditorAction {
        let clamped = min(max(0, position), characters.count)
        guard clamped != cursor else { return .none }
        cursor = clamped
        return .edited
    }

    private mutating func deleteForward() -> LineEditorAction {
        guard cursor < characters.count else { return .none }
        characters.remove(at: cursor)
        return .edited
    }

    private mutating func kill(_ range: Range<Int>) -> LineEditorAction {
        guard !range.isEmpty else { return .none }
        killed = Array(characters[range])
        characters.removeSubrange(range)
        cursor = range.lowerBound
        return .edited
    }

    /// Start of the word before `position` (skipping blanks first), as Emacs does.
    private func wordStart(before position: Int) -> Int {
        var index = position
        while index > 0, !isWordCharacter(characters[index - 1]) { index -= 1 }
        while index > 0, isWordCharacter(characters[index - 1]) { index -= 1 }
        return index
    }

    /// End of the word after `position` (skipping blanks first).
    private func wordEnd(after position: Int) -> Int {
        var index = position
        while index < characters.count, !isWordCharacter(characters[index]) { index += 1 }
        while index < characters.count, isWordCharacter(characters[index]) { index += 1 }
        return index
    }

    private func isWordCharacter(_ character: Character) -> Bool {
        character.isLetter || character.isNumber || character == "_"
    }

    private mutating func browseHistory(by step: Int) -> LineEditorAction {
        guard !history.isEmpty else { return .none }
        let current = historyIndex ?? history.count
        let next = min(max(0, current + step), history.count)
        guard next != current else { return .none }
        if historyIndex == nil { draft = characters }
        if next == history.count {
            historyIndex = nil
            characters = draft
        } else {
            historyIndex = next
            characters = Array(history[next])
        }
        cursor = characters.count
        return .edited
    }

    private mutating func complete() -> LineEditorAction {
        guard cursor == characters.count else { return .none }
        switch completer.complete(text) {
        case .replace(let line):
            setText(line)
            return .edited
        case .candidates(let candidates):
            return .showCompletions(candidates)
        case .none:
            return .none
        }
    }
}

extension LineEditor {
    /// A key typed into a one-line answer (an approval, a question, a message to an agent):
    /// history and completion keys do nothing, and a pasted line break is a space, not an
    /// Enter. Returns false when the key was ignored. Enter is the caller's to read.
    mutating func typeInOneLine(_ key: Key) -> Bool {
        switch key {
        case .up, .down, .tab, .control("p"), .control("n"), .enter:
            return false
        case .paste(let text) where text.contains("\n"):
            _ = handle(.paste(text.replacingOccurrences(of: "\n", with: " ")))
        default:
            _ = handle(key)
        }
        return true
    }
}
