import Dispatch
import Foundation
import MusterCore

/// Signals as an async stream, observed through libdispatch sources on a private queue.
///
/// While observed, each signal's default action is ignored; `cancel` restores it.
final class SignalStream {
    /// The signal numbers as they arrive.
    let numbers: AsyncStream<Int32>
    private let continuation: AsyncStream<Int32>.Continuation
    private let sources: [any DispatchSourceSignal]
    private let signals: [Int32]
    // Armed by the first SIGTERM or SIGHUP, which end the session; stays armed until the exit.
    private let deadline: ExitDeadline

    /// SIGTERM and SIGHUP also arm `deadline`, and a second one exits at once.
    init(_ signals: [Int32], deadline: ExitDeadline = ExitDeadline { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) {
        self.deadline = deadline
        (numbers, continuation) = AsyncStream<Int32>.makeStream()
        self.signals = signals
        let queue = DispatchQueue(label: "muster.signals")
        let continuation = self.continuation
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                if number == SIGTERM || number == SIGHUP {
                    // Two signals that arrived before this handler ran show as one event with a count of 2.
                    guard deadline.arm(exitCode: 128 + number), source.data < 2 else {
                        deadline.exitNow(exitCode: 128 + number)
                    }
                }
                continuation.yield(number)
            }
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
