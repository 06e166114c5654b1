/// A key press, decoded from the terminal, as the line editor and the app understand it.
public enum Key: Hashable, Sendable {
    /// A printable character.
    case character(Character)
    /// Ctrl plus a letter, e.g. `.control("a")` for Ctrl-A.
    case control(Character)
    /// Alt (Meta) plus a character, e.g. `.alt("b")`.
    case alt(Character)
    case enter
    case tab
    case backTab
    case backspace
    /// Alt-Backspace: delete the word before the cursor.
    case altBackspace
    case delete
    case escape
    case left
    case right
    case up
    case down
    case home
    case end
    case pageUp
    case pageDown
    /// The mouse wheel, one notch (curses reports it once wheel reporting is on).
    case wheelUp
    case wheelDown
    /// Text pasted in one piece (bracketed paste); line breaks are `\n`.
    case paste(String)
}
