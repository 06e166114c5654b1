/// The cap on running background shells, resolved from a flag, the environment, or the default
/// (the same rules as `BackgroundAgentLimit`).
public struct BackgroundShellLimit: Sendable, Equatable {
    /// The cap when nothing valid overrides it.
    public static let defaultValue = 10
    /// The environment variable that overrides the default.
    public static let environmentVariable = "MUSTER_MAX_BACKGROUND_SHELLS"

    /// The cap in force.
    public let value: Int
    /// Set when a given value was invalid and the default was used instead.
    public let warning: String?

    /// The flag wins over the environment; an invalid value falls back to the default with a warning.
    public static func resolve(flag: String?, environment: [String: String]) -> BackgroundShellLimit {
        if let flag { return parse(flag, origin: "--max-background-shells") }
        if let text = environment[environmentVariable] { return parse(text, origin: environmentVariable) }
        return BackgroundShellLimit(value: defaultValue, warning: nil)
    }

    private static func parse(_ text: String, origin: String) -> BackgroundShellLimit {
        if let value = Int(text.trimmingCharacters(in: .whitespaces)), value > 0 {
            return BackgroundShellLimit(value: value, warning: nil)
        }
        let shown = String(reflecting: text).filter { !$0.isASCII || $0.isPrintable }
        return BackgroundShellLimit(
            value: defaultValue,
            warning: "Ignoring \(origin)=\(shown): expected a positive whole number; using the default of \(defaultValue)."
        )
    }
}
