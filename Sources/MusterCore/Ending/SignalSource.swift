import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The one way Muster observes signals, for every front end: libdispatch signal sources on one
/// serial queue, each delivery decided by a `SignalRule` and handed to `handler` on that queue.
///
/// A dispatch source observes a signal but does not stop its default action ("die at once"),
/// so each watched signal is ignored while observed; `cancel` restores the default actions.
/// With an `ExitDeadline`, the first stop signal arms it and a second exits at once (after
/// killing every tool process): the handler sees `.stop` and never `.stopNow`. Without one (the
/// curses UI, which must restore the terminal on the main actor), the handler gets `.stopNow`.
public final class SignalSource {
    private let sources: [any DispatchSourceSignal]
    private let numbers: [Int32]

    /// Starts observing `stopping` (signals that end the run) and `watching` (signals the front
    /// end handles itself, such as SIGINT at a prompt or SIGWINCH); `handler` runs on `queue`.
    public init(
        stopping: [Int32],
        watching: [Int32] = [],
        queue: DispatchQueue = DispatchQueue(label: "muster.signals"),
        deadline: ExitDeadline? = nil,
        handler: @escaping @Sendable (SignalEvent) -> Void
    ) {
        // Only touched on `queue`; the lock makes the sharing provable to the compiler.
        let rule = Locked(SignalRule(stopSignals: Set(stopping)))
        numbers = stopping + watching
        sources = numbers.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                let events = rule.withLock { $0.receive(number, count: source.data) }
                for event in events {
                    if let deadline {
                        switch event {
                        case .stop(let ending):
                            if !deadline.arm(for: ending) { deadline.exitNow(ending) }
                        case .stopNow(let ending):
                            deadline.exitNow(ending)
                        case .signal:
                            break
                        }
                    }
                    handler(event)
                }
            }
            source.resume()
            return source
        }
    }

    /// Stops observing and restores the default actions.
    public func cancel() {
        for source in sources { source.cancel() }
        for number in numbers { signal(number, SIG_DFL) }
    }
}
