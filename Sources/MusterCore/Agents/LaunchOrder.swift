/// The order in which the calls of one turn that start tasks (`agent`) register them: the order
/// the model listed them. The calls run at once, so without it their registrations raced, and
/// which became #1, took the last slot or went first in the queue was the scheduler's choice.
/// Each such call holds a `LaunchTicket`; it waits for its turn before it registers and hands the
/// turn on once registered (or when it ends without registering). Only the registration is in
/// order: a foreground sub-agent hands the turn on as soon as it is registered, not when it ends.
final class LaunchOrder: Sendable {
    private struct State {
        var handedOn: [Bool]
        /// The first position that has not handed its turn on; every position up to it may go.
        var frontier = 0
    }

    private let turns: [CancellableWaiter<Void>]
    private let state: Locked<State>

    init(positions: Int) {
        turns = (0..<positions).map { _ in CancellableWaiter<Void>() }
        state = Locked(State(handedOn: Array(repeating: false, count: positions)))
        turns.first?.resolve(())
    }

    /// The ticket of the call at `position` (0-based, among the calls that start tasks).
    func ticket(_ position: Int) -> LaunchTicket {
        LaunchTicket(order: self, position: position)
    }

    fileprivate func waitTurn(_ position: Int) async -> Bool {
        await turns[position].wait() != nil
    }

    fileprivate func handOn(_ position: Int) {
        let opened = state.withLock { state -> Range<Int> in
            guard !state.handedOn[position] else { return 0..<0 }
            state.handedOn[position] = true
            let before = state.frontier
            while state.frontier < state.handedOn.count, state.handedOn[state.frontier] { state.frontier += 1 }
            // Positions before..frontier were opened already or are done; the new frontier opens.
            return (before + 1)..<min(state.frontier + 1, state.handedOn.count)
        }
        for position in opened { turns[position].resolve(()) }
    }
}

/// One call's place in its turn's `LaunchOrder`.
public struct LaunchTicket: Sendable {
    fileprivate let order: LaunchOrder
    fileprivate let position: Int

    /// Returns once every earlier call that starts tasks has registered its task (or ended):
    /// true then, false when the calling task is cancelled first.
    public func waitTurn() async -> Bool {
        await order.waitTurn(position)
    }

    /// Hands the turn on to the next call; later calls of it do nothing.
    public func handOn() {
        order.handOn(position)
    }
}
