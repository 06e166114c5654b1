import Dispatch
import Foundation

/// Signals as an async stream, observed through libdispatch sources on a private queue.
///
/// While observed, each signal's default action is ignored; `cancel` restores it.
final class SignalStream {
    /// The signal numbers as they arrive.
    let numbers: AsyncStream<Int32>
    private let continuation: AsyncStream<Int32>.Continuation
    private let sources: [any DispatchSourceSignal]
    private let signals: [Int32]

    init(_ signals: [Int32]) {
        (numbers, continuation) = AsyncStream<Int32>.makeStream()
        self.signals = signals
        let queue = DispatchQueue(label: "muster.signals")
        let continuation = self.continuation
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
    }

    /// Stops observing, ends the stream and restores the default actions.
    func cancel() {
        for source in sources { source.cancel() }
        for number in signals { signal(number, SIG_DFL) }
        continuation.finish()
    }
}
