/// How much Muster lets agents do without asking (`--permission-mode`, `MUSTER_PERMISSION_MODE`).
public enum PermissionMode: String, Sendable, Equatable, CaseIterable, Codable {
    /// Shell commands and file edits need approval, except read-only commands and allowed patterns.
    case ask
    /// File edits (confined to the workspace) are approved; shell commands still ask.
    case autoEdit = "auto-edit"
    /// Nothing asks.
    case auto

    /// The mode from the flag, else the environment, else `ask`; an unknown word is an error.
    public static func resolve(flag: String?, environment: [String: String]) throws(PermissionModeError) -> PermissionMode {
        let text = flag ?? environment["MUSTER_PERMISSION_MODE"].flatMap { $0.isEmpty ? nil : $0 }
        guard let text else { return .ask }
        guard let mode = PermissionMode(rawValue: text) else { throw PermissionModeError(text: text, fromFlag: flag != nil) }
        return mode
    }
}

/// An unknown `--permission-mode` or `MUSTER_PERMISSION_MODE` value.
public struct PermissionModeError: Error, Equatable, CustomStringConvertible {
    public let text: String
    public let fromFlag: Bool

    public var description: String {
        let allowed = PermissionMode.allCases.map(\.rawValue).joined(separator: ", ")
        return "\(fromFlag ? "--permission-mode" : "MUSTER_PERMISSION_MODE=") \(text) is not one of: \(allowed)."
            .replacingOccurrences(of: "= ", with: "=")
    }
}
