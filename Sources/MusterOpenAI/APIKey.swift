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

    /// The shortest run of the key's leading characters that is redacted on its own: a server
    /// may echo a key cut short, and a shorter run is too common to be a sign of it.
    static let minimumRedactedPrefix = 8

    /// `text` with the key replaced by `<redacted>`: every whole occurrence, and every run of at
    /// least 8 of its leading characters (a server may echo the key cut short). Redact before
    /// cutting a text: a cut made first can leave all but the last few characters of a key.
    func redacting(_ text: String) -> String {
        let key = Array(secret.unicodeScalars)
        guard !key.isEmpty else { return text }
        let shortest = min(key.count, Self.minimumRedactedPrefix)
        let scalars = Array(text.unicodeScalars)
        guard scalars.count >= shortest else { return text }
        var output = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            // The length of the key prefix that starts here.
            var matched = 0
            while matched < key.count, index + matched < scalars.count, scalars[index + matched] == key[matched] {
                matched += 1
            }
            if matched >= shortest {
                output.append(contentsOf: "<redacted>".unicodeScalars)
                index += matched
            } else {
                output.append(scalars[index])
                index += 1
            }
        }
        return String(output)
    }
}
