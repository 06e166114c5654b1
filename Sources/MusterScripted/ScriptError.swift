import Foundation

/// Why a script could not be loaded: the file, the place in it, and what was expected.
public struct ScriptError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The script's name as given to the loader, e.g. `demo.json`.
    public let file: String
    /// Where in the file: a document path (`agents.main.scenarios[0].say`), `line 3, column 7`, or empty.
    public let location: String
    /// What is wrong and what was expected.
    public let problem: String

    /// Makes an error; an empty `location` is left out of the message.
    init(file: String, location: String, problem: String) {
        self.file = file
        self.location = location
        self.problem = problem
    }

    /// `file: location: problem`, on one line.
    public var description: String {
        [file, location, problem].filter { !$0.isEmpty }.joined(separator: ": ")
    }

    public var errorDescription: String? { description }
}
