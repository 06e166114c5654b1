@testable import MusterCore
@testable import MusterTUI
import Testing

/// The board keeps queued tasks' places as the queue drains: the registry publishes only the
/// task that leaves it.
@Suite("The task board follows the queue")
struct TaskBoardQueueTests {
    private let now = ContinuousClock.now

    private func task(_ id: Int, _ status: TaskStatus) -> TaskSnapshot {
        RenderFixtures.task(id, "worker", status: status)
    }

    @Test("as the first in line starts and a later one is stopped, the others move up; a task that never queued keeps its status")
    func places() {
        var board = TaskBoard()
        board.apply(.started(task(1, .running(step: 1, activity: "thinking"))), at: now)
        for (id, place) in [(2, 1), (3, 2), (4, 3), (5, 4)] { board.apply(.started(task(id, .queued(position: place))), at: now) }
        #expect((2...5).map { board.snapshot(of: TaskID($0))?.statusWord } == ["queued 1st", "queued 2nd", "queued 3rd", "queued 4th"])
        board.apply(.updated(task(2, .pending)), at: now)
        #expect((3...5).map { board.snapshot(of: TaskID($0))?.statusWord } == ["queued 1st", "queued 2nd", "queued 3rd"])
        board.apply(.finished(task(4, .cancelled(by: .user))), at: now)
        #expect(board.snapshot(of: TaskID(5))?.statusWord == "queued 2nd")
        #expect(board.snapshot(of: TaskID(4))?.statusWord == "cancelled")
        #expect(board.snapshot(of: TaskID(1))?.statusWord == "running")
        // 1,000 more through the queue, one after another: every place stays right.
        for id in 6..<1_006 { board.apply(.started(task(id, .queued(position: id - 3))), at: now) }
        for id in [3, 5] + Array(6..<1_000) { board.apply(.updated(task(id, .pending)), at: now) }
        #expect((1_000..<1_006).map { board.snapshot(of: TaskID($0))?.statusWord } == ["queued 1st", "queued 2nd", "queued 3rd", "queued 4th", "queued 5th", "queued 6th"])
    }
}
