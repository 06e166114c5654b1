@testable import MusterCore
import Testing

@Suite("One-shot signal", .timeLimit(.minutes(1)))
struct OneShotSignalTests {
    @Test("every waiter wakes when it fires, and a wait after the fire returns at once")
    func firesForAll() async {
        let signal = OneShotSignal()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<20 { group.addTask { await signal.wait() } }
            signal.fire()
        }
        await signal.wait()
    }

    @Test("a cancelled waiter stops waiting although the signal never fires, before or after it parked")
    func cancelledWaiterEnds() async {
        let signal = OneShotSignal()
        for _ in 0..<200 {
            let waiter = Task { await signal.wait() }
            waiter.cancel()
            await waiter.value
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await signal.wait() }
            group.cancelAll()
        }
    }
}
