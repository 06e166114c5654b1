/// The cap on running background agents, resolved from a flag, the environment, or the default.
public struct BackgroundAgentLimit: Sendable, Equatable {
    /// The cap when nothing valid overrides it.
    public static let defaultValue = 10
    /// The environment variable that overrides the default.
    public static let environmentVariable = "MUSTER_MAX_BACKGROUND_AGENTS"

    /// The cap in force.
    public let value: Int
    /// Set when a given value was invalid and the default was used instead.
    public let warning: String?

    /// The flag wins over the environment; an invalid value falls back to the default with a warning.
    public static func resolve(flag: String?, environment: [String: String]) -> BackgroundAgentLimit {
        if let flag {
            return parse(flag, origin: "--max-background-agents")
        }
        if let text = environment[environmentVariable] {
            return parse(text, origin: environmentVariable)
        }
        return BackgroundAgentLimit(value: defaultValue, warning: nil)
    }

    private static func parse(_ text: String, origin: String) -> BackgroundAgentLimit {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let value = Int(trimmed), value > 0 {
            return BackgroundAgentLimit(value: value, warning: nil)
        }
        let shown = String(reflecting: text).filter { !$0.isASCII || $0.isPrintable }
        return BackgroundAgentLimit(
            value: defaultValue,
            warning: "Ignoring \(origin)=\(shown): expected a positive whole number; using the default of \(defaultValue)."
        )
    }
}

extension Character {
    /// Not a control character (for echoing user-supplied values safely).
    var isPrintable: Bool {
        !(unicodeScalars.first.map { $0.properties.generalCategory == .control } ?? false)
    }
}

import Foundation
