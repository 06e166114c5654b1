import Foundation
import MusterCore
import Synchronization

/// Muster's default model: plays the turns of a `Script` with no network, at the pace of an
/// injected clock (instant in tests, human speed in the demo).
///
/// It keeps no state between calls: the scenario comes from the conversation's latest user
/// message and the turn index from the assistant messages that follow it, so a multi-step
/// scenario moves on as tool results come back and restarts at each new user message.
public struct ScriptedModel: LanguageModel {
    let script: Script
    let clock: any Clock<Duration>
    /// The value of `{{workspace}}` (`.` when nil).
    let workspace: URL?
    /// The pauses on the real clock, on one timer (nil for another clock: its own `sleep`).
    let pauses: ScriptedPauses?

    /// The standing approvals the script expects (its top-level `approvals`).
    public var approvals: [PermissionRule] { script.approvals }

    /// A model playing `script`, pausing on `clock`.
    public init(script: Script, clock: any Clock<Duration> = ContinuousClock(), workspace: URL? = nil) {
        self.script = script
        self.clock = clock
        self.workspace = workspace
        self.pauses = clock is ContinuousClock ? ScriptedPauses() : nil
    }

    /// `Demo model (scripted, no network): try 'look around', 'status'`: the examples come from the
    /// script's main scenarios, so a script of one's own suggests its own words.
    public var introduction: String? {
        let name = script.origin == ScriptLocator.defaultScriptName ? "Demo model" : "Scripted model \(script.origin)"
        let examples = script.examples.map { "'\($0)'" }
        return "\(name) (scripted, no network)" + (examples.isEmpty ? "." : ": try " + examples.joined(separator: ", "))
    }

    /// One event of a planned turn and the pause before it.
    struct Step: Sendable, Equatable {
        let delay: Duration
        let event: ModelEvent
    }

    /// The script has nothing for this agent.
    struct NoScenarioError: Error, Equatable, CustomStringConvertible, LocalizedError {
        let origin: String
        let agentName: String
        /// The agents the script does define, sorted.
        let definedAgents: [String]

        var description: String {
            let defined = definedAgents.map { JSONValue.string($0).jsonText }.joined(separator: ", ")
            return "\(origin): no scenario for agent \(JSONValue.string(agentName).jsonText) fits this conversation "
                + "(the script defines agents \(defined)); add a scenario without \"match\" for it, or an agent \"*\""
        }

        var errorDescription: String? { description }
    }

    /// On the real clock the turn is played by the pauses' one timer, so the request's
    /// interruption can end it from outside (a pause or a time budget, with no child task).
    public var honoursInterruption: Bool { pauses != nil }

    /// Streams the planned turn. On the real clock the one timer of `pauses` plays it into the
    /// stream (`StepPlayer`): the consuming task only awaits the next event, and its cancellation
    /// or the request's interruption ends the stream at once with `CancellationError`. On another
    /// clock all pauses happen in the consuming task, so cancelling it ends the stream.
    public func streamTurn(_ request: ModelRequest) -> AsyncThrowingStream<ModelEvent, any Error> {
        let steps: [Step]
        do {
            steps = try plan(for: request)
        } catch {
            let failure: any Error = error
            if pauses != nil { return AsyncThrowingStream { $0.finish(throwing: failure) } }
            let cursor = StepCursor(steps: [], failure: failure, clock: clock, pauses: pauses)
            return AsyncThrowingStream(unfolding: { try await cursor.next() })
        }
        if let pauses { return StepPlayer.play(steps, on: pauses, interruption: request.interruption) }
        let cursor = StepCursor(steps: steps, failure: nil, clock: clock, pauses: pauses)
        return AsyncThrowingStream(unfolding: { try await cursor.next() })
    }

    /// Every event of the turn for `request`, with its pause; pure and immediate.
    ///
    /// A batch of background results (several result messages after the last answer) gets the
    /// script's answer to each of them, one after another in one turn, blank-line separated,
    /// with their usage summed: one model call answers the batch.
    func plan(for request: ModelRequest) throws(NoScenarioError) -> [Step] {
        let batch = Self.resultBatch(in: request.messages)
        guard batch.count > 1 else { return try planOne(request) }
        var steps: [Step] = []
        var usage = Usage()
        for end in batch {
            let single = ModelRequest(agentName: request.agentName, messages: Array(request.messages[...end]), tools: request.tools)
            var separated = steps.isEmpty
            for step in try planOne(single) {
                switch step.event {
                case .endOfTurn(let turnUsage):
                    usage.inputTokens += turnUsage.inputTokens
                    usage.outputTokens += turnUsage.outputTokens
                case .textDelta(let text) where !separated:
                    separated = true
                    steps.append(Step(delay: step.delay, event: .textDelta("\n\n" + text)))
                default:
                    steps.append(step)
                }
            }
        }
        steps.append(Step(delay: .zero, event: .endOfTurn(usage)))
        return steps
    }

    /// The indices of the background-result messages at the end of `messages`, oldest first.
    static func resultBatch(in messages: [ChatMessage]) -> [Int] {
        var indices: [Int] = []
        for index in messages.indices.reversed() {
            guard case .user(let text) = messages[index], text.hasPrefix("<\(BackgroundResultMessage.tag)") else { break }
            indices.insert(index, at: 0)
        }
        return indices
    }

    /// The turn for `request` as the script has it for its latest user message.
    private func planOne(_ request: ModelRequest) throws(NoScenarioError) -> [Step] {
        guard let scenario = script.scenario(forAgent: request.agentName, latestUserMessage: request.latestUserMessage,
                                             prompt: request.prompt) else {
            throw NoScenarioError(origin: script.origin, agentName: request.agentName, definedAgents: script.agents.keys.sorted())
        }
        let turnIndex = request.turnIndex
        let inputEstimate = Self.estimatedTokens(characters: request.messages.reduce(0) { $0 + Self.characterCount($1) })

        guard turnIndex < scenario.turns.count else {
            let text = "(End of scenario \(JSONValue.string(scenario.name).jsonText) in \(script.origin): it has no more turns.)"
            return [Step(delay: .zero, event: .textDelta(text)),
                    Step(delay: .zero, event: .endOfTurn(Usage(inputTokens: inputEstimate, outputTokens: Self.estimatedTokens(characters: text.count))))]
        }
        let turn = scenario.turns[turnIndex]
        // Filling the variables reads the whole conversation: only for a turn that uses them
        // (starting 100,000 agents spent more time here than in the registry).
        let usesVariables = turn.say?.contains("{{") == true || turn.toolCalls.contains { ScriptTemplate.hasPlaceholder($0.arguments) }
        let template = usesVariables ? ScriptTemplate(request: request, workspace: workspace) : nil
        var steps: [Step] = []
        var pause = turn.wait
        var outputCharacters = 0

        if let say = turn.say.map({ template?.render($0) ?? $0 }), !say.isEmpty {
            outputCharacters += say.count
            for chunk in Self.chunks(of: say, size: turn.chunkCharacters) {
                steps.append(Step(delay: pause, event: .textDelta(chunk)))
                pause = turn.chunkDelay
            }
        }
        // Unique across concurrent agents and repeated requests, yet readable in logs. Made only
        // for a turn with tool calls: a `UUID()` costs system calls here (measured: a third of
        // the system CPU time of starting 100,000 agents whose turns have none).
        let requestTag = turn.toolCalls.isEmpty ? "" : String(UUID().uuidString.prefix(8)).lowercased()
        for (index, call) in turn.toolCalls.enumerated() {
            let arguments = template?.render(call.arguments) ?? call.arguments
            outputCharacters += call.tool.count + arguments.jsonText.count
            let id = "\(request.agentName)-t\(turnIndex)-c\(index)-\(requestTag)"
            steps.append(Step(delay: steps.isEmpty ? pause : .zero, event: .toolCall(ToolCall(id: id, name: call.tool, arguments: arguments))))
        }
        let usage = Usage(inputTokens: turn.usage?.input ?? inputEstimate,
                          outputTokens: turn.usage?.output ?? Self.estimatedTokens(characters: outputCharacters))
        steps.append(Step(delay: steps.isEmpty ? pause : .zero, event: .endOfTurn(usage)))
        return steps
    }

    /// `text` cut into pieces of `size` characters (the last may be shorter).
    static func chunks(of text: String, size: Int) -> [String] {
        var pieces: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            pieces.append(String(rest.prefix(size)))
            rest = rest.dropFirst(size)
        }
        return pieces
    }

    /// About four characters per token, at least one.
    private static func estimatedTokens(characters: Int) -> Int {
        max(1, (characters + 3) / 4)
    }

    private static func characterCount(_ message: ChatMessage) -> Int {
        switch message {
        case .system(let text), .user(let text): text.count
        case .assistant(let text, let calls): text.count + calls.reduce(0) { $0 + $1.name.count + $1.arguments.jsonText.count }
        case .tool(_, _, let content): content.count
        }
    }
}

/// Hands out one planned step per pull, pausing on the clock first; pulled only by the
/// consuming task, so a cancelled consumer stops at its next pause or pull.
private final class StepCursor: Sendable {
    private let steps: [ScriptedModel.Step]
    private let failure: (any Error)?
    private let clock: any Clock<Duration>
    private let pauses: ScriptedPauses?
    private let position = Atomic<Int>(0)

    init(steps: [ScriptedModel.Step], failure: (any Error)?, clock: any Clock<Duration>, pauses: ScriptedPauses?) {
        self.steps = steps
        self.failure = failure
        self.clock = clock
        self.pauses = pauses
    }

    /// The next event after its pause; nil after the last; throws when cancelled during a pause.
    func next() async throws -> ModelEvent? {
        try Task.checkCancellation()
        let index = position.add(1, ordering: .relaxed).oldValue
        if index == 0, let failure { throw failure }
        guard index < steps.count else { return nil }
        let step = steps[index]
        if step.delay > .zero {
            if let pauses { try await pauses.pause(for: step.delay) } else { try await clock.sleep(for: step.delay) }
        }
        return step.event
    }
}

/// Plays a planned turn into a buffered stream on the pauses' one timer: the events due now are
/// yielded at once, and each pause is an action of the timer that yields the next ones. The
/// consumer's cancellation (the stream's termination) or the request's interruption withdraws
/// the pending action and ends the stream with `CancellationError`, as `Task.sleep` would throw.
private final class StepPlayer: Sendable {
    private struct State {
        var next = 0
        /// The timer action pending, if a pause is under way.
        var pending: Int?
        var ended = false
    }

    private let steps: [ScriptedModel.Step]
    private let pauses: ScriptedPauses
    private let continuation: AsyncThrowingStream<ModelEvent, any Error>.Continuation
    private let state = Mutex(State())

    private init(steps: [ScriptedModel.Step], pauses: ScriptedPauses, continuation: AsyncThrowingStream<ModelEvent, any Error>.Continuation) {
        self.steps = steps
        self.pauses = pauses
        self.continuation = continuation
    }

    static func play(_ steps: [ScriptedModel.Step], on pauses: ScriptedPauses, interruption: ModelInterruption?) -> AsyncThrowingStream<ModelEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<ModelEvent, any Error>.makeStream()
        let player = StepPlayer(steps: steps, pauses: pauses, continuation: continuation)
        // Runs before the stream's own ending on a cancelled consumer: the error is what it sees.
        continuation.onTermination = { _ in player.stop() }
        interruption?.onInterrupt { player.stop() }
        player.advance(paused: false)
        return stream
    }

    /// Yields the events due now (the next one's pause over when `paused`), then schedules the
    /// pause before the one after, or finishes the stream after the last.
    private func advance(paused: Bool) {
        var paused = paused
        while true {
            let step = state.withLock { state -> ScriptedModel.Step? in
                state.pending = nil
                guard !state.ended, state.next < steps.count else { return nil }
                let step = steps[state.next]
                guard paused || step.delay <= .zero else {
                    // The action may run before `schedule` returns: its id is stored first.
                    return step
                }
                state.next += 1
                return step
            }
            guard let step else {
                if state.withLock({ state in defer { state.ended = true }; return !state.ended }) { continuation.finish() }
                return
            }
            if paused || step.delay <= .zero {
                paused = false
                continuation.yield(step.event)
                continue
            }
            schedulePause(step.delay)
            return
        }
    }

    /// Schedules the end of the pause before the next step (or nothing when the stream has ended meanwhile).
    private func schedulePause(_ delay: Duration) {
        state.withLock { state in
            guard !state.ended else { return }
            state.pending = pauses.schedule(after: delay) { [self] in advance(paused: true) }
        }
    }

    /// The consumer went away or the call was interrupted: no more events; the stream ends with
    /// `CancellationError` (unless it had ended already).
    private func stop() {
        let pending = state.withLock { state -> Int?? in
            guard !state.ended else { return .none }
            state.ended = true
            defer { state.pending = nil }
            return .some(state.pending)
        }
        guard let pending else { return }
        if let id = pending { pauses.cancel(id) }
        continuation.finish(throwing: CancellationError())
    }
}
