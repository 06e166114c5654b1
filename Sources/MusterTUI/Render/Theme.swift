import MusterCore
import MusterPresentation

/// Colours and attributes of everything Muster draws; colourless under `NO_COLOR`.
public struct Theme: Sendable, Equatable {
    /// False drops every colour (attributes such as bold and dim stay).
    public let usesColor: Bool

    /// A theme with or without colours.
    public init(usesColor: Bool) {
        self.usesColor = usesColor
    }

    /// Colours unless the environment sets `NO_COLOR` to anything non-empty (https://no-color.org).
    public static func from(environment: [String: String]) -> Theme {
        Theme(usesColor: (environment["NO_COLOR"] ?? "").isEmpty)
    }

    /// The look of a transcript line.
    public func style(_ style: TranscriptLine.Style) -> CellStyle {
        let full: CellStyle = switch style {
        case .plain: .plain
        case .user: CellStyle(bold: true)
        case .tool: CellStyle(foreground: .cyan)
        case .toolOutput: CellStyle(dim: true)
        case .notice: CellStyle(foreground: .blue)
        case .success: CellStyle(foreground: .green)
        case .warning: CellStyle(foreground: .yellow)
        case .error: CellStyle(foreground: .red, bold: true)
        case .heading: CellStyle(bold: true)
        case .dim: CellStyle(dim: true)
        }
        return adapt(full)
    }

    /// The pill's dot and words while agents run.
    public var pillActive: CellStyle { adapt(CellStyle(foreground: .green, bold: true)) }
    /// The pill at zero.
    public var pillIdle: CellStyle { CellStyle(dim: true) }
    /// The rule of the status line and quiet hints.
    public var rule: CellStyle { CellStyle(dim: true) }
    /// A hint that needs attention (press again to quit, shutting down).
    public var attention: CellStyle { adapt(CellStyle(foreground: .yellow, bold: true)) }
    /// The input prompt.
    public var prompt: CellStyle { adapt(CellStyle(foreground: .cyan, bold: true)) }

    private func adapt(_ style: CellStyle) -> CellStyle {
        usesColor ? style : style.withoutColor
    }
}
