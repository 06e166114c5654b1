/// How many background agents may wait past the cap, from a flag, the environment, or the default (none).
public struct BackgroundQueueSize: Sendable, Equatable {
    /// The environment variable that sets it when no flag does.
    public static let environmentVariable = "MUSTER_BACKGROUND_QUEUE"

    /// The queue's size in force (0: a launch at the cap is refused).
    public let value: Int
    /// Set when a given value was invalid and 0 was used instead.
    public let warning: String?

    /// The flag wins over the environment; an invalid value falls back to 0 with a warning.
    public static func resolve(flag: String?, environment: [String: String]) -> BackgroundQueueSize {
        guard let (text, origin) = flag.map({ ($0, "--background-queue") }) ?? environment[environmentVariable].map({ ($0, environmentVariable) }) else {
            return BackgroundQueueSize(value: 0, warning: nil)
        }
        if let value = Int(text.trimmingCharacters(in: .whitespaces)), value >= 0 {
            return BackgroundQueueSize(value: value, warning: nil)
        }
        let shown = String(reflecting: text).filter { !$0.isASCII || $0.isPrintable }
        return BackgroundQueueSize(value: 0, warning: "Ignoring \(origin)=\(shown): expected 0 or a positive whole number; launches at the cap are refused.")
    }
}

import Foundation
