import CMusterSystem
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
/// A dispatch source observes a signal but does not stop its default action ("die at once").
/// On Linux, libdispatch installs a handler of its own for each signal, which replaces that
/// action, but it does so on its manager thread a moment after `resume`: a signal ignored in the
/// meantime is dropped (the kernel discards an ignored signal when it is sent), and a SIGTERM
/// that came just then was lost and the run went on. So on Linux the default action stays until
/// libdispatch's handler is in place, and `init` returns only once it is (a signal in that window
/// ends the process the default way, as if no source existed yet, never silently); elsewhere
/// (kqueue, which only observes) each watched signal is ignored while observed. `cancel`
/// restores the default actions.
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
            #if !os(Linux)
            signal(number, SIG_IGN)
            #endif
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
        #if os(Linux)
        Self.awaitHandlers(for: numbers)
        #endif
    }

    #if os(Linux)
    /// Waits until libdispatch's handler is installed for every signal in `numbers` (well under a
    /// millisecond here; at most `limit`, then it ignores the ones still missing, as before).
    /// A wait on another thread's registration that takes no locks Muster holds; it blocks the
    /// calling thread only for that moment, once per front end.
    private static func awaitHandlers(for numbers: [Int32], limit: Duration = .seconds(2)) {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: limit)
        var missing = numbers.filter { muster_signal_is_caught($0) == 0 }
        while !missing.isEmpty {
            guard clock.now < deadline else {
                for number in missing { signal(number, SIG_IGN) }
                return
            }
            sched_yield()
            usleep(50)
            missing.removeAll { muster_signal_is_caught($0) != 0 }
        }
    }
    #endif

    /// Stops observing and restores the default actions.
    public func cancel() {
        for source in sources { source.cancel() }
        for number in numbers { signal(number, SIG_DFL) }
    }
}
