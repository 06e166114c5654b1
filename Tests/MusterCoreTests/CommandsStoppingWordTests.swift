@testable import MusterCore
@testable import MusterPresentation
import Testing

@Suite("One word for a stop under way")
struct CommandsStoppingWordTests {
    private func task(_ status: TaskStatus, cancelRequested: CancellationSource?) -> TaskSnapshot {
        TaskSnapshot(
            id: TaskID(4), name: "read", kind: .agent, description: "read the big files", spawner: .topLevel, mode: .background,
            status: status, cancelRequested: cancelRequested, startedAt: .zero, endedAt: status.isTerminal ? .zero : nil,
            startDate: .distantPast, age: .seconds(3), trail: []
        )
    }

    @Test("the table, the detail and list_tasks all say stopping while the body ends, and the activity stays truthful")
    func stoppingEverywhere() {
        let stopping = task(.running(step: 2, activity: "grep"), cancelRequested: .user)
        #expect(stopping.statusWord == "stopping")
        let row = TaskTable.lines(for: [stopping]).map(\.text)[1]
        #expect(row.contains("stopping"))
        #expect(!row.contains("running"))
        #expect(row.contains("step 2 · grep"))
        let detail = TaskTable.detail(of: stopping).map(\.text)
        #expect(detail[0].contains("· stopping ·"))
        #expect(detail.contains("Stopping; was: step 2 · grep"))
        #expect(!detail.joined().contains("running"))
    }

    @Test("once the body has returned the word is the terminal one")
    func endedIsNotStopping() {
        let ended = task(.cancelled(by: .user), cancelRequested: .user)
        #expect(!ended.isStopping)
        #expect(ended.statusWord == "cancelled")
        #expect(!ended.countsAgainstCap)
    }
}
