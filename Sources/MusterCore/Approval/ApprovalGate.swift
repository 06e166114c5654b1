import Foundation

/// The one place every tool call passes before it runs (`ToolExecutor.runOne`): it decides
/// from the permission mode, the read-only classifier and the standing rules whether a call
/// runs, is refused, or waits for the person's answer.
///
/// A waiting call parks only its own agent: the answer comes through `answer(_:with:)`, from
/// any front end, at any later time; several waiting calls queue in the order they asked.
/// Cancelling the waiting call (stopping its agent, the turn, or the session) ends the wait
/// as a denial at once. Without a person (`canAsk` false: headless `-p`) a call that needs
/// approval is refused as a tool error and listed in `refusals`.
public final class ApprovalGate: Sendable {
    /// How a call fared at the gate.
    public enum Decision: Sendable, Equatable {
        case allowed
        case needsApproval(ApprovalSubject)
    }

    private struct Waiting {
        var request: ApprovalRequest
        var continuation: CheckedContinuation<ApprovalAnswer, Never>?
    }

    private struct State {
        var mode: PermissionMode
        var rules: [PermissionRule]
        var waiting: [Int: Waiting] = [:]
        /// Ids whose wait was cancelled before it parked.
        var cancelled: Set<Int> = []
        /// Answers that came before their call parked.
        var early: [Int: ApprovalAnswer] = [:]
        var nextID = 1
        var refusals: [ApprovalRefusal] = []
        /// Edits that passed the gate, by agent and call, until their tool takes them: the tool
        /// writes only the change that was approved.
        var passedChanges: [String: FileChange] = [:]
    }

    /// Whether a person can be asked; false for headless runs.
    public let canAsk: Bool
    // Locked: answers come from front ends, cancellations from whatever thread cancels.
    private let state: Locked<State>

    public init(mode: PermissionMode, rules: [PermissionRule] = [], canAsk: Bool) {
        self.canAsk = canAsk
        self.state = Locked(State(mode: mode, rules: rules))
    }

    /// The mode of the session.
    public var mode: PermissionMode { state.withLock { $0.mode } }

    /// The standing rules, in the order they were added.
    public var rules: [PermissionRule] { state.withLock { $0.rules } }

    /// Adds a standing rule for the rest of the session (`/allow`, `a` at a prompt); false when
    /// it was there already.
    @discardableResult
    public func allow(_ rule: PermissionRule) -> Bool {
        state.withLock { state in
            guard !state.rules.contains(rule) else { return false }
            state.rules.append(rule)
            return true
        }
    }

    /// Calls refused because nobody could be asked, in order.
    public var refusals: [ApprovalRefusal] { state.withLock { $0.refusals } }

    /// Requests waiting for an answer, oldest first.
    public var pending: [ApprovalRequest] {
        state.withLock { $0.waiting.values.map(\.request).sorted { $0.id < $1.id } }
    }

    /// What the mode and the rules say about `subject` (nil subject: a tool that needs no approval).
    public func decide(_ subject: ApprovalSubject?) -> Decision {
        guard let subject else { return .allowed }
        let (mode, rules) = state.withLock { ($0.mode, $0.rules) }
        switch (mode, subject) {
        case (.auto, _): return .allowed
        case (.autoEdit, .edit): return .allowed
        case (_, .shell(let command, _)):
            if ReadOnlyCommand.isReadOnly(command) { return .allowed }
            if rules.contains(where: { $0.kind == .shell && $0.matches(command) }) { return .allowed }
        case (_, .edit(let path, _, _)):
            if rules.contains(where: { $0.kind == .edit && $0.matches(path) }) { return .allowed }
        }
        return .needsApproval(subject)
    }

    /// Passes or stops one call of `tool` in `workspace`: nil when it may run, else the output
    /// the model gets instead. Only `shell` and the tools that change files are ever stopped;
    /// an edit's diff is computed (nothing written) only when the mode does not approve it
    /// anyway, and an edit that would fail fails here with the tool's own error.
    func check(_ call: ToolCall, tool: any Tool, agent: AgentRef, runtime: AgentRuntime) async -> ToolOutput? {
        let workspace = runtime.workspace
        let events = runtime.events
        let mode = self.mode
        guard mode != .auto else { return nil }
        let subject: ApprovalSubject
        var passing: FileChange?
        if let changing = tool as? any FileChanging {
            guard mode != .autoEdit else { return nil }
            do {
                let change = try await changing.preview(call.arguments, workspace: workspace)
                let diff = change.diff
                subject = .edit(path: change.path.relative, diff: diff.text, summary: diff.summary)
                passing = change
            } catch let error as ToolError {
                return .error(error.message)
            } catch {
                return .error("Cancelled.")
            }
        } else if call.name == "shell", let command = call.arguments["command"]?.stringValue {
            subject = .shell(command: command, directory: workspace.path)
        } else {
            return nil
        }
        // While it waits, the task's activity says so (`/tasks`, the dialog, the panel).
        let registry = runtime.registry
        let taskID = agent.taskID
        let headline = subject.headline
        let refusal = await authorize(subject: subject, agent: agent, callID: call.id, tool: call.name, publish: { events.publish($0) }) { waiting in
            guard let taskID else { return }
            await registry.report(taskID, activity: waiting ? "needs approval: \(headline)" : ToolActivity.text(of: [call]), joinsTrail: false)
        }
        if refusal == nil, let passing {
            state.withLock { $0.passedChanges[Self.key(agent, call.id)] = passing }
        }
        return refusal
    }

    /// The change an edit call of `agent` passed the gate with, taken once (nil: it passed
    /// without one, in mode auto or auto-edit).
    func takePassedChange(agent: AgentRef, callID: String) -> FileChange? {
        state.withLock { $0.passedChanges.removeValue(forKey: Self.key(agent, callID)) }
    }

    private static func key(_ agent: AgentRef, _ callID: String) -> String {
        "\(agent.taskID?.rawValue ?? 0) \(callID)"
    }

    /// Passes or stops a call that would do `subject`; `publish` announces a request and its answer.
    func authorize(
        subject: ApprovalSubject, agent: AgentRef, callID: String, tool: String,
        publish: @Sendable (SessionEvent) -> Void, waiting: @Sendable (Bool) async -> Void = { _ in }
    ) async -> ToolOutput? {
        guard case .needsApproval(let subject) = decide(subject) else { return nil }
        guard canAsk else {
            state.withLock {
                $0.refusals.append(ApprovalRefusal(taskID: agent.taskID, callID: callID, tool: tool, subject: subject.headline))
            }
            return .error(Self.refusalMessage(for: subject))
        }
        let request = state.withLock { state -> ApprovalRequest in
            defer { state.nextID += 1 }
            let request = ApprovalRequest(id: state.nextID, agent: agent, callID: callID, tool: tool, subject: subject)
            state.waiting[request.id] = Waiting(request: request)
            return request
        }
        publish(.approvalRequested(request))
        await waiting(true)
        let answer = await wait(for: request.id)
        publish(.approvalAnswered(id: request.id, agent: agent, answer: answer))
        await waiting(false)
        switch answer {
        case .once:
            return nil
        case .always:
            allow(subject.rule)
            return nil
        case .deny(let reason):
            if Task.isCancelled { return .error("Cancelled while waiting for approval.") }
            let because = reason.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
            return .error("The person denied this call" + (because.map { ": \($0)" } ?? ".") + " Do not retry it as it was.")
        }
    }

    /// Answers a waiting request; false when no request with that id waits (answered already,
    /// or its call was cancelled).
    @discardableResult
    public func answer(_ id: Int, with answer: ApprovalAnswer) -> Bool {
        let (found, continuation) = state.withLock { state -> (Bool, CheckedContinuation<ApprovalAnswer, Never>?) in
            guard let waiting = state.waiting.removeValue(forKey: id) else { return (false, nil) }
            guard let continuation = waiting.continuation else {
                // Answered before the call parked: it finds its answer when it does.
                state.early[id] = answer
                return (true, nil)
            }
            return (true, continuation)
        }
        continuation?.resume(returning: answer)
        return found
    }

    private func wait(for id: Int) async -> ApprovalAnswer {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ApprovalAnswer, Never>) in
                let ready = state.withLock { state -> ApprovalAnswer? in
                    if let early = state.early.removeValue(forKey: id) { return early }
                    if state.cancelled.remove(id) != nil { return .deny(reason: nil) }
                    state.waiting[id]?.continuation = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<ApprovalAnswer, Never>? in
                guard let waiting = state.waiting[id] else { return nil }
                guard let continuation = waiting.continuation else {
                    // Not parked yet: it must not park.
                    state.cancelled.insert(id)
                    state.waiting[id] = nil
                    return nil
                }
                state.waiting[id] = nil
                return continuation
            }
            continuation?.resume(returning: .deny(reason: nil))
        }
    }

    /// The tool error of a call refused without asking.
    static func refusalMessage(for subject: ApprovalSubject) -> String {
        let example: String
        switch subject {
        case .shell(let command, _): example = "shell: \(command)"
        case .edit(let path, _, _): example = "edit: \(path)"
        }
        let quoted = "'" + example.replacingOccurrences(of: "'", with: "'\\''") + "'"
        return "needs approval: \(subject.headline) was not run. Run with --permission-mode auto or --allow \(quoted)."
    }
}
