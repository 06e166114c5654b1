import Foundation

/// A secret API key whose text form is always redacted, so it cannot leak through interpolation or logs.
public struct APIKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The secret itself; read it only to build the `Authorization` header or to redact it from text.
    let secret: String

    /// Wraps `secret` (surrounding whitespace, e.g. from `$(cat keyfile)`, is dropped).
    public init(_ secret: String) {
        self.secret = secret.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Always `<redacted>`.
    public var description: String { "<redacted>" }
    /// Always `APIKey(<redacted>)`.
    public var debugDescription: String { "APIKey(<redacted>)" }
    /// A mirror without the secret, so `dump` and reflection stay safe.
    public var customMirror: Mirror { Mirror(self, children: ["secret": "<redacted>"]) }

    /// `text` with every occurrence of the key replaced by `<redacted>` (for messages a server echoes back).
    func redacting(_ text: String) -> String {
        guard !secret.isEmpty else { return text }
        return text.replacingOccurrences(of: secret, with: "<redacted>")
    }
}
