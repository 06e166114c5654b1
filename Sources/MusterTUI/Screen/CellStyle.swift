/// How one screen cell looks: an optional colour and a few attributes.
public struct CellStyle: Hashable, Sendable {
    /// The eight basic terminal colours, numbered as curses numbers them.
    public enum Color: Int16, Hashable, Sendable, CaseIterable {
        case black = 0, red, green, yellow, blue, magenta, cyan, white
    }

    /// Nil keeps the terminal's default foreground.
    public var foreground: Color?
    public var bold: Bool
    public var dim: Bool
    public var reverse: Bool

    /// A style; by default the terminal's own.
    public init(foreground: Color? = nil, bold: Bool = false, dim: Bool = false, reverse: Bool = false) {
        self.foreground = foreground
        self.bold = bold
        self.dim = dim
        self.reverse = reverse
    }

    /// The terminal's default look.
    public static let plain = CellStyle()

    /// The same attributes without colour (for `NO_COLOR`).
    public var withoutColor: CellStyle {
        var copy = self
        copy.foreground = nil
        return copy
    }

    /// One letter per style for text snapshots: `.` plain, `b` bold, `d` dim, `r` reverse,
    /// or the colour's initial in capitals (`R` red, `G` green, `Y` yellow, `B` blue, `C` cyan, `M` magenta).
    public var snapshotCode: Character {
        if let foreground {
            switch foreground {
            case .black: return "K"
            case .red: return "R"
            case .green: return "G"
            case .yellow: return "Y"
            case .blue: return "B"
            case .magenta: return "M"
            case .cyan: return "C"
            case .white: return "W"
            }
        }
        if reverse { return "r" }
        if bold { return "b" }
        if dim { return "d" }
        return "."
    }
}
