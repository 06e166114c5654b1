import Dispatch
import Foundation

/// Signals delivered as events on the main queue through libdispatch signal sources.
///
/// The default action of each signal is ignored while the sources are installed (a dispatch
/// source observes a signal but does not stop its default action), and restored by `cancel`.
@MainActor
final class SignalSources {
    private var sources: [Int32: any DispatchSourceSignal] = [:]

    /// Starts observing `signals`; `handler` runs on the main actor with the signal number.
    init(_ signals: [Int32], handler: @escaping @MainActor (Int32) -> Void) {
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .main)
            source.setEventHandler {
                // Signals that arrived before this ran come as one event with their count; a
                // second SIGTERM means "now", so a merged pair is delivered as two.
                let count = min(max(Int(source.data), 1), 2)
                // Sources on the main queue run on the main thread, which is the main actor's.
                MainActor.assumeIsolated { for _ in 0..<count { handler(number) } }
            }
            source.resume()
            sources[number] = source
        }
    }

    /// Stops observing and restores the default actions.
    func cancel() {
        for (number, source) in sources {
            source.cancel()
            signal(number, SIG_DFL)
        }
        sources = [:]
    }
}
