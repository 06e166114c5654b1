import MusterCore

/// How usage reads: `3.1k tokens · 7 tools`, token counts shortened the same way everywhere.
public enum UsageText {
    /// `950`, `3.1k`, `12.4k`, `124k`, `1.2M`.
    public static func tokens(_ count: Int) -> String {
        switch count {
        case ..<1_000: "\(count)"
        case ..<99_950: oneDecimal(count, per: 1_000) + "k"
        case ..<999_500: "\((count + 500) / 1_000)k"
        default: oneDecimal(count, per: 1_000_000) + "M"
        }
    }

    /// A token limit, which is usually round: `20k`, `1.5k`, `2M` (as `tokens`, without a trailing `.0`).
    public static func tokenLimit(_ count: Int) -> String {
        let text = tokens(count)
        for unit in ["k", "M"] where text.hasSuffix(".0" + unit) { return String(text.dropLast(3)) + unit }
        return text
    }

    /// `3.1k tokens · 7 tools` (own + children).
    public static func summary(_ usage: TaskUsage) -> String {
        "\(tokens(usage.tokens)) tokens · \(usage.toolCalls) \(usage.toolCalls == 1 ? "tool" : "tools")"
    }

    /// The `/tasks show` line: totals, in and out, model calls, and how much of it was the
    /// children's (`own 1.2k + children 1.9k`) once they used anything.
    public static func detail(of task: TaskSnapshot) -> String {
        let total = task.totalUsage
        var text = "\(tokens(total.tokens)) tokens (\(tokens(total.inputTokens)) in, \(tokens(total.outputTokens)) out)"
        text += " · \(total.modelCalls) model \(total.modelCalls == 1 ? "call" : "calls")"
        text += " · \(total.toolCalls) \(total.toolCalls == 1 ? "tool" : "tools")"
        if !task.childrenUsage.isZero {
            text += " · own \(tokens(task.usage.tokens)) + children \(tokens(task.childrenUsage.tokens))"
        }
        if let limit = task.stepLimit { text += " · step \(task.step)/\(limit)" }
        return text
    }

    /// The TOKENS cell: `3.1k`, or `12.1k/20k` against a token budget.
    public static func tokensCell(of task: TaskSnapshot) -> String {
        let used = tokens(task.totalUsage.tokens)
        return task.budget.maxTokens.map { "\(used)/\(tokenLimit($0))" } ?? used
    }

    /// The TOOLS cell: `7`, or `7/10` against a tool-call budget.
    public static func toolsCell(of task: TaskSnapshot) -> String {
        let used = "\(task.totalUsage.toolCalls)"
        return task.budget.maxToolCalls.map { "\(used)/\($0)" } ?? used
    }

    /// The `/tasks show` budget line, `12.1k/20k tokens · 3/10 tool calls · 2/5 model calls ·
    /// 60 s`; nil without a budget.
    public static func budget(of task: TaskSnapshot) -> String? {
        let budget = task.budget
        guard !budget.isUnlimited else { return nil }
        var parts: [String] = []
        if let limit = budget.maxTokens { parts.append("\(tokens(task.totalUsage.tokens))/\(tokenLimit(limit)) tokens") }
        if let limit = budget.maxToolCalls { parts.append("\(task.totalUsage.toolCalls)/\(limit) tool calls") }
        if let limit = budget.maxSteps { parts.append("\(task.usage.modelCalls)/\(limit) model calls") }
        if let limit = budget.maxSeconds { parts.append("\(limit) s of running time") }
        return parts.joined(separator: " · ")
    }

    /// The `Budget: …` line of `/tasks show` and the dialog's detail, amber past 80%; nil without a budget.
    public static func budgetLine(of task: TaskSnapshot) -> TranscriptLine? {
        budget(of: task).map { TranscriptLine("Budget: \($0)", style: nearBudget(task) ? .warning : .dim) }
    }

    /// Past 80% of some kind of its budget (tokens, tool calls or model calls): shown amber.
    public static func nearBudget(_ task: TaskSnapshot) -> Bool {
        let budget = task.budget
        let pairs: [(Int, Int?)] = [
            (task.totalUsage.tokens, budget.maxTokens), (task.totalUsage.toolCalls, budget.maxToolCalls),
            (task.usage.modelCalls, budget.maxSteps),
        ]
        return pairs.contains { used, limit in limit.map { used * 10 > $0 * 8 } ?? false }
    }

    /// The session's model calls: `14 model calls (main agent 3)`.
    public static func modelCalls(_ calls: RunResult.ModelCalls) -> String {
        "\(calls.total) model \(calls.total == 1 ? "call" : "calls") (main agent \(calls.main))"
    }

    private static func oneDecimal(_ count: Int, per unit: Int) -> String {
        let tenths = (count * 10 + unit / 2) / unit
        return "\(tenths / 10).\(tenths % 10)"
    }
}
