import Foundation

/// A regular expression whose every search can be stopped: it gives up past a time limit per
/// search, and whenever the caller's stop check says so, even in the middle of one line.
///
/// Enumerating with `.reportProgress`, swift-corelibs-foundation has ICU call back once per start
/// position tried and once every 10,000 matching steps, also deep inside one backtracking
/// attempt (measured here: thousands of callbacks a second on `(a+)+$`). The two kinds of
/// callback cannot be told apart, so no step count is possible: the bound is the time spent.
public struct BoundedRegex: Sendable {
    let expression: NSRegularExpression
    /// Time one search may take; an ordinary pattern takes a few milliseconds on a 64 KB line.
    let timeLimit: Duration

    /// A second: far above an ordinary search, far below a person's patience.
    public static let defaultTimeLimit = Duration.seconds(1)
    /// Callbacks between two looks at the clock and the stop check (a look costs a lock).
    static let checkEvery = 16

    /// Why a search ended without an answer.
    public enum Failure: Error, Equatable {
        /// The time limit ran out, or ICU's own backtracking memory did: why, for messages.
        case tooExpensive(String)
        /// The stop check said stop.
        case stopped
    }

    /// Bounds searches of `expression` to `timeLimit` each.
    public init(_ expression: NSRegularExpression, timeLimit: Duration = Self.defaultTimeLimit) {
        self.expression = expression
        self.timeLimit = timeLimit
    }

    /// True when the expression matches somewhere in `text`. `shouldStop` is asked regularly
    /// during the search; `onProgress` hears the time spent so far, as often.
    public func firstMatch(
        in text: String,
        shouldStop: () -> Bool,
        onProgress: (Duration) -> Void = { _ in }
    ) throws(Failure) -> Bool {
        if shouldStop() { throw .stopped }
        let start = ContinuousClock.now
        var found = false
        var callbacks = 0
        var failure: Failure?
        let range = NSRange(text.startIndex..., in: text)
        // The block is declared escaping here but only runs during the call.
        withoutActuallyEscaping(shouldStop) { shouldStop in
            withoutActuallyEscaping(onProgress) { onProgress in
                expression.enumerateMatches(in: text, options: [.reportProgress], range: range) { result, flags, stop in
                    if result != nil {
                        found = true
                        stop.pointee = true
                        return
                    }
                    if flags.contains(.internalError) {
                        // ICU gave up by itself (its backtracking stack is full).
                        failure = .tooExpensive("the matcher ran out of backtracking memory")
                        stop.pointee = true
                        return
                    }
                    guard flags.contains(.progress) else { return }
                    callbacks += 1
                    guard callbacks % Self.checkEvery == 0 else { return }
                    let spent = start.duration(to: .now)
                    onProgress(spent)
                    if shouldStop() {
                        failure = .stopped
                        stop.pointee = true
                    } else if spent > timeLimit {
                        failure = .tooExpensive("gave up after \(timeLimit) on that line")
                        stop.pointee = true
                    }
                }
            }
        }
        if found { return true }
        if let failure { throw failure }
        return false
    }
}
