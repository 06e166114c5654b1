/// `muster-bench`'s command line: `--quick`, `--only NAME`, `--baseline PATH`.
/// (Here, not in the executable, so that the tests can check the parsing.)
public struct BenchArguments: Equatable, Sendable {
    /// A short run.
    public var quick = false
    /// One group or benchmark; nil runs everything.
    public var only: String?
    /// Another `muster` binary (the previous release) to measure alternately with this one.
    public var baseline: String?

    /// Why the arguments could not be used.
    public struct Problem: Error, Equatable, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// Parses `arguments` (without the program's name); `names` are what `--only` accepts.
    public init(_ arguments: [String], names: [String]) throws(Problem) {
        var index = 0
        func value(of option: String) throws(Problem) -> String {
            index += 1
            guard index < arguments.count, !arguments[index].hasPrefix("--") else {
                throw Problem(description: "\(option) needs a value")
            }
            return arguments[index]
        }
        while index < arguments.count {
            switch arguments[index] {
            case "--quick":
                quick = true
            case "--only":
                let name = try value(of: "--only")
                guard names.contains(name) else {
                    throw Problem(description: "--only needs one of: \(names.joined(separator: ", "))")
                }
                only = name
            case "--baseline":
                baseline = try value(of: "--baseline")
            case let other:
                throw Problem(description: "unknown argument \(other) (--quick, --only NAME, --baseline PATH)")
            }
            index += 1
        }
    }
}
