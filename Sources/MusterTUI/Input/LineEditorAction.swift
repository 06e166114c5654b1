/// What a key did to the line being edited.
public enum LineEditorAction: Equatable, Sendable {
    /// Nothing visible changed (an unbound key, a move at the edge).
    case none
    /// The text or the cursor changed.
    case edited
    /// Enter: the line is handed over and the editor is empty again.
    case submit(String)
    /// Ctrl-D on an empty line.
    case endOfInput
    /// Tab found several completions and could not extend the line; show them.
    case showCompletions([String])
}
