@testable import MusterCore
import Testing

@Suite("Cancellable waiter", .timeLimit(.minutes(1)))
struct CancellableWaiterTests {
    @Test("a value resolved before the wait, or while it waits, is returned; later resolutions are ignored")
    func resolves() async {
        let early = CancellableWaiter<Int>()
        early.resolve(1)
        early.resolve(2)
        #expect(await early.wait() == 1)

        let late = CancellableWaiter<Int>()
        async let value = late.wait()
        late.resolve(3)
        #expect(await value == 3)
    }

    @Test("a cancelled waiter returns nil at once, whether it was cancelled before or after it parked")
    func cancelled() async {
        for _ in 0..<200 {
            let waiter = CancellableWaiter<Int>()
            let task = Task { await waiter.wait() }
            task.cancel()
            #expect(await task.value == nil)
            waiter.resolve(4)
        }
    }
}
