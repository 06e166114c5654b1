import MusterTUI
import Testing

@Suite("The line editor")
struct LineEditorTests {
    private func editor(typing text: String, history: [String] = []) -> LineEditor {
        var editor = LineEditor(history: history)
        for character in text { _ = editor.handle(.character(character)) }
        return editor
    }

    @Test("typing inserts at the cursor and Enter hands the line over")
    func typingAndEnter() {
        var editor = editor(typing: "helo")
        _ = editor.handle(.left)
        _ = editor.handle(.character("l"))
        #expect(editor.text == "hello")
        do { let result = editor.handle(.enter); #expect(result == .submit("hello")) }
        #expect(editor.isEmpty)
        #expect(editor.cursor == 0)
    }

    @Test("Ctrl-A and Ctrl-E, Home and End jump to the ends")
    func ends() {
        var editor = editor(typing: "abc")
        _ = editor.handle(.control("a"))
        #expect(editor.cursor == 0)
        _ = editor.handle(.control("e"))
        #expect(editor.cursor == 3)
        _ = editor.handle(.home)
        #expect(editor.cursor == 0)
        _ = editor.handle(.end)
        #expect(editor.cursor == 3)
    }

    @Test("Ctrl-B and Ctrl-F, Left and Right move by one and stop at the ends")
    func byCharacter() {
        var editor = editor(typing: "ab")
        do { let result = editor.handle(.control("f")); #expect(result == .none) }
        _ = editor.handle(.control("b"))
        _ = editor.handle(.left)
        #expect(editor.cursor == 0)
        do { let result = editor.handle(.left); #expect(result == .none) }
        _ = editor.handle(.right)
        #expect(editor.cursor == 1)
    }

    @Test("Alt-B and Alt-F move by words")
    func byWord() {
        var editor = editor(typing: "/tasks stop #12")
        _ = editor.handle(.alt("b"))
        #expect(editor.cursor == 13)
        _ = editor.handle(.alt("b"))
        #expect(editor.cursor == 7)
        _ = editor.handle(.alt("b"))
        #expect(editor.cursor == 1)
        _ = editor.handle(.alt("f"))
        #expect(editor.cursor == 6)
        _ = editor.handle(.alt("f"))
        #expect(editor.cursor == 11)
    }

    @Test("Ctrl-K kills to the end, Ctrl-U to the start, Ctrl-W the word before; Ctrl-Y yanks it back")
    func killing() {
        var editor = editor(typing: "one two three")
        _ = editor.handle(.alt("b"))
        _ = editor.handle(.control("k"))
        #expect(editor.text == "one two ")
        _ = editor.handle(.control("w"))
        #expect(editor.text == "one ")
        _ = editor.handle(.control("y"))
        #expect(editor.text == "one two ")
        _ = editor.handle(.left)
        _ = editor.handle(.control("u"))
        #expect(editor.text == " ")
        #expect(editor.cursor == 0)
    }

    @Test("Backspace and Delete remove one character on either side")
    func deleting() {
        var editor = editor(typing: "abcd")
        _ = editor.handle(.backspace)
        #expect(editor.text == "abc")
        _ = editor.handle(.home)
        do { let result = editor.handle(.backspace); #expect(result == .none) }
        _ = editor.handle(.delete)
        #expect(editor.text == "bc")
        _ = editor.handle(.control("d"))
        #expect(editor.text == "c")
    }

    @Test("Ctrl-D on an empty line ends input")
    func endOfInput() {
        var editor = LineEditor()
        do { let result = editor.handle(.control("d")); #expect(result == .endOfInput) }
    }

    @Test("Up and Down walk the history and come back to the draft")
    func history() {
        var editor = editor(typing: "draft", history: ["first", "second"])
        _ = editor.handle(.up)
        #expect(editor.text == "second")
        _ = editor.handle(.up)
        #expect(editor.text == "first")
        do { let result = editor.handle(.up); #expect(result == .none) }
        _ = editor.handle(.down)
        _ = editor.handle(.down)
        #expect(editor.text == "draft")
        do { let result = editor.handle(.down); #expect(result == .none) }
    }

    @Test("submitted lines join the history, without repeats or blanks")
    func rememberSubmitted() {
        var editor = editor(typing: "/tasks")
        _ = editor.handle(.enter)
        for character in "/tasks" { _ = editor.handle(.character(character)) }
        _ = editor.handle(.enter)
        _ = editor.handle(.character(" "))
        _ = editor.handle(.enter)
        #expect(editor.history == ["/tasks"])
    }

    @Test("Tab completes a unique command name with a trailing space")
    func tabUnique() {
        var editor = editor(typing: "/ta")
        do { let result = editor.handle(.tab); #expect(result == .edited) }
        #expect(editor.text == "/tasks ")
        _ = editor.handle(.character("s"))
        _ = editor.handle(.character("t"))
        _ = editor.handle(.tab)
        #expect(editor.text == "/tasks stop ")
    }

    @Test("Tab extends to the common prefix, then lists the candidates")
    func tabAmbiguous() {
        var editor = editor(typing: "/c")
        do { let result = editor.handle(.tab); #expect(result == .showCompletions(["/cancel", "/clear"])) }
        var tasks = self.editor(typing: "/tasks s")
        do { let result = tasks.handle(.tab); #expect(result == .showCompletions(["/tasks show", "/tasks stop", "/tasks send"])) }
        var text = self.editor(typing: "hello")
        do { let result = text.handle(.tab); #expect(result == .none) }
    }

    @Test("the history keeps at most its limit, dropping the oldest")
    func historyLimit() {
        var editor = LineEditor(history: ["a", "b", "c"], historyLimit: 2)
        #expect(editor.history == ["b", "c"])
        editor.remember("d")
        #expect(editor.history == ["c", "d"])
    }
}
