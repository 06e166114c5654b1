import MusterCore

/// A place inside a script document, shown as `agents.main.scenarios[0].turns[2].say`.
struct ScriptPath: Sendable, Equatable, CustomStringConvertible {
    /// One step down into the document.
    enum Component: Sendable, Equatable {
        case key(String)
        case index(Int)
    }

    private(set) var components: [Component] = []

    /// The document itself.
    static let root = ScriptPath()

    /// The path of a member of the object at this path.
    func appending(_ key: String) -> ScriptPath {
        var copy = self
        copy.components.append(.key(key))
        return copy
    }

    /// The path of an element of the array at this path.
    func appending(index: Int) -> ScriptPath {
        var copy = self
        copy.components.append(.index(index))
        return copy
    }

    var isRoot: Bool { components.isEmpty }

    /// Dotted form; keys that are not plain words are quoted (`agents["*"]`); the root reads "top level".
    var description: String {
        guard !components.isEmpty else { return "top level" }
        var text = ""
        for component in components {
            switch component {
            case .index(let index):
                text += "[\(index)]"
            case .key(let key) where Self.isPlainWord(key):
                text += text.isEmpty ? key : ".\(key)"
            case .key(let key):
                text += "[\(JSONValue.string(key).jsonText)]"
            }
        }
        return text
    }

    private static func isPlainWord(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, first == "_" || first.properties.isAlphabetic else { return false }
        return key.unicodeScalars.allSatisfy { $0 == "_" || $0 == "-" || $0.properties.isAlphabetic || ("0"..."9").contains($0) }
    }
}
