import Foundation
import Testing
@testable import MusterCore

#if canImport(Glibc)
import Glibc
#endif

/// A signal that comes the moment `SignalSource` is made is seen, never dropped: the window
/// between setting a signal aside and libdispatch's handler taking it (registered a moment
/// later, on its own thread) lost a SIGTERM sent right after plain mode echoed its first line.
@Suite("Signal source")
struct SignalSourceTests {
    @Test("a signal sent as soon as the source is made reaches its handler")
    func signalRightAfterInit() async throws {
        #if os(Linux)
        // A signal of its own each round (real-time signals, unused elsewhere), so that no
        // round meets the registration of another.
        let first = __libc_current_sigrtmin() + 4
        let last = min(first + 24, __libc_current_sigrtmax())
        for number in first...last {
            let (events, continuation) = AsyncStream<SignalEvent>.makeStream()
            let source = SignalSource(stopping: [], watching: [number]) { continuation.yield($0) }
            kill(getpid(), number)
            let seen = await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    for await event in events { if case .signal(number) = event { return true } }
                    return false
                }
                // A bound, not a synchronisation: a dropped signal never comes.
                group.addTask { (try? await Task.sleep(for: .seconds(5))) == nil }
                let first = await group.next() ?? false
                group.cancelAll()
                continuation.finish()
                return first
            }
            source.cancel()
            #expect(seen, "signal \(number) sent right after the source was made was dropped")
            if !seen { break }
        }
        #endif
    }
}
