import Foundation

/// One tool call's progress stream: created for that call alone, closed exactly once.
///
/// A report is handed straight to the call's own sink on the reporting thread (no queue and no
/// forwarding task), so per-call order is kept for free; after `close` every report is dropped,
/// so nothing of a call can appear after the call's end, even from work the tool leaked.
public struct ToolProgress: Sendable {
    private let sink: Sink

    /// A stream whose lines go to `deliver` until closed; `deliver` must be quick and never block.
    public static func forwarding(to deliver: @escaping @Sendable (String) -> Void) -> (progress: ToolProgress, close: @Sendable () -> Void) {
        let sink = Sink(deliver)
        return (ToolProgress(sink: sink), { sink.close() })
    }

    /// Reports one progress line for this call.
    public func report(_ line: String) {
        sink.report(line)
    }

    /// A sink that drops everything (for calls nobody watches, e.g. in unit tests of a tool).
    public static func discarding() -> ToolProgress {
        let (progress, close) = forwarding { _ in }
        close()
        return progress
    }

    /// A fresh stream as an `AsyncStream` and its reporter, for one call (tests read it this way).
    public static func makeStream() -> (stream: AsyncStream<String>, progress: ToolProgress, finish: @Sendable () -> Void) {
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .unbounded)
        let (progress, close) = forwarding { continuation.yield($0) }
        return (stream, progress, {
            close()
            continuation.finish()
        })
    }

    private init(sink: Sink) {
        self.sink = sink
    }

    private final class Sink: Sendable {
        private let deliver: @Sendable (String) -> Void
        /// Held while delivering, so `close` returns only after any report in flight is out.
        private let isOpen = Locked(true)

        init(_ deliver: @escaping @Sendable (String) -> Void) {
            self.deliver = deliver
        }

        func report(_ line: String) {
            isOpen.withLock { open in
                if open { deliver(line) }
            }
        }

        func close() {
            isOpen.withLock { $0 = false }
        }
    }
}
