@testable import MusterCore
@testable import MusterPresentation
import Testing

/// Use against a budget in `/tasks` and the dialog's rows: `12.1k/20k`, amber past 80%.
@Suite("Budget use in /tasks and the dialog's rows")
struct BudgetDisplayTests {
    private func agent(_ id: Int, tokens: Int, budget: TaskBudget, status: TaskStatus = .running(step: 2, activity: "thinking")) -> TaskSnapshot {
        var task = TaskSnapshot(
            id: TaskID(id), name: "worker", kind: .agent, description: "p", spawner: .topLevel, mode: .background,
            status: status, cancelRequested: nil, startedAt: .zero, endedAt: nil, startDate: .distantPast, age: .seconds(3), trail: [],
            usage: TaskUsage(inputTokens: tokens, outputTokens: 0, modelCalls: 1, toolCalls: 0)
        )
        task.budget = budget
        return task
    }

    @Test("/tasks shows tokens against the budget, and a running agent past 80% of it in amber, not at 80% or below")
    func table() {
        let near = agent(1, tokens: 16_100, budget: TaskBudget(maxTokens: 20_000))
        let at = agent(2, tokens: 16_000, budget: TaskBudget(maxTokens: 20_000))
        let lines = TaskTable.lines(for: [near, at])
        let nearRow = lines.first { $0.text.hasPrefix("#1 ") }
        let atRow = lines.first { $0.text.hasPrefix("#2 ") }
        #expect(nearRow?.text.contains("16.1k/20k") == true, "\(lines)")
        #expect(nearRow?.style == .warning)
        #expect(atRow?.text.contains("16.0k/20k") == true, "\(lines)")
        #expect(atRow?.style == .plain)
        #expect(UsageText.budgetLine(of: near) == TranscriptLine("Budget: 16.1k/20k tokens", style: .warning))
        #expect(UsageText.budgetLine(of: agent(3, tokens: 0, budget: TaskBudget())) == nil)
    }

    @Test("the dialog's columns widen to show 12.1k/20k, queued 2nd and budget exhausted whole, and stay as they were without them")
    func dialogColumns() {
        let plain = agent(1, tokens: 1200, budget: TaskBudget())
        #expect(TaskRowText.Columns(width: 80, largestID: 9, shown: [plain]) == TaskRowText.Columns(width: 80, largestID: 9))
        let budgeted = agent(2, tokens: 12_100, budget: TaskBudget(maxTokens: 20_000))
        let queued = agent(3, tokens: 0, budget: TaskBudget(), status: .queued(position: 2))
        let exhausted = agent(4, tokens: 20_500, budget: TaskBudget(maxTokens: 20_000), status: .budgetExhausted(reason: "r", report: "x"))
        let columns = TaskRowText.Columns(width: 80, largestID: 9, shown: [plain, budgeted, queued, exhausted])
        for task in [budgeted, queued, exhausted] {
            let row = TaskRowText.dialogRow(task, elapsed: .seconds(3), columns: columns, width: 80)
            #expect(row.contains(task.statusWord), "\(row)")
            #expect(row.contains(UsageText.tokensCell(of: task)), "\(row)")
        }
        #expect(UsageText.tokensCell(of: budgeted) == "12.1k/20k")
        #expect([20_000, 1_500, 2_000_000, 950, 150_000].map(UsageText.tokenLimit) == ["20k", "1.5k", "2M", "950", "150k"])
    }
}
