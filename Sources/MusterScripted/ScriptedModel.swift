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

    /// On the real clock the one timer of `pauses` plays the planned turn into a feed
    /// (`StepPlayer`): the agent's task only waits for the next event, and its cancellation or an
    /// interruption ends the feed at once with `CancellationError`. Nil on another clock.
    public func feedTurn(_ request: ModelRequest) -> ModelEventFeed? {
        guard let pauses else { return nil }
        let feed = ModelEventFeed()
        do {
            StepPlayer.play(try plan(for: request), on: pauses, into: feed)
        } catch {
            feed.finish(throwing: error)
        }
        return feed
    }

    /// Streams the planned turn: on the real clock the feed of `feedTurn`, read in the consuming
    /// task; on another clock all pauses happen in the consuming task, so cancelling it ends the stream.
    public func streamTurn(_ request: ModelRequest) -> AsyncThrowingStream<ModelEvent, any Error> {
        if let feed = feedTurn(request) { return feed.stream() }
        let cursor: StepCursor
        do {
            cursor = StepCursor(steps: try plan(for: request), failure: nil, clock: clock)
        } catch {
            cursor = StepCursor(steps: [], failure: error, clock: clock)
        }
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
    private let position = Atomic<Int>(0)

    init(steps: [ScriptedModel.Step], failure: (any Error)?, clock: any Clock<Duration>) {
        self.steps = steps
        self.failure = failure
        self.clock = clock
    }

    /// The next event after its pause; nil after the last; throws when cancelled during a pause.
    func next() async throws -> ModelEvent? {
        try Task.checkCancellation()
        let index = position.add(1, ordering: .relaxed).oldValue
        if index == 0, let failure { throw failure }
        guard index < steps.count else { return nil }
        let step = steps[index]
        if step.delay > .zero { try await clock.sleep(for: step.delay) }
        return step.event
    }
}

/// Plays a planned turn into a feed on the pauses' one timer: the events due now are yielded at
/// once, and each pause is an action of the timer that yields the next ones. The feed's end
/// before the last step (its reader cancelled, the call interrupted) withdraws the pending action.
private final class StepPlayer: ModelEventProducer, ScriptedPauseAction {
    private struct State {
        var next = 0
        /// The timer action pending, if a pause is under way.
        var pending: Int?
        var stopped = false
    }

    private let steps: [ScriptedModel.Step]
    private let pauses: ScriptedPauses
    private let feed: ModelEventFeed
    private let state = Mutex(State())

    private init(steps: [ScriptedModel.Step], pauses: ScriptedPauses, feed: ModelEventFeed) {
        self.steps = steps
        self.pauses = pauses
        self.feed = feed
    }

    static func play(_ steps: [ScriptedModel.Step], on pauses: ScriptedPauses, into feed: ModelEventFeed) {
        let player = StepPlayer(steps: steps, pauses: pauses, feed: feed)
        feed.attach(player)
        player.advance(paused: false)
    }

    /// Yields the events due now (the next one's pause over when `paused`), then schedules the
    /// pause before the one after, or finishes the feed after the last.
    private func advance(paused: Bool) {
        var paused = paused
        while true {
            let step = state.withLock { state -> ScriptedModel.Step? in
                state.pending = nil
                guard !state.stopped, state.next < steps.count else { return nil }
                let step = steps[state.next]
                // A step still to wait for stays next until its pause is over.
                if paused || step.delay <= .zero { state.next += 1 }
                return step
            }
            guard let step else {
                // Ignored by a feed that has ended meanwhile.
                feed.finish()
                return
            }
            if paused || step.delay <= .zero {
                paused = false
                feed.yield(step.event)
                continue
            }
            schedulePause(step.delay)
            return
        }
    }

    /// Schedules the end of the pause before the next step (or nothing once stopped).
    private func schedulePause(_ delay: Duration) {
        state.withLock { state in
            guard !state.stopped else { return }
            // The action may run before `schedule` returns: its id is stored under the lock first.
            state.pending = pauses.schedule(after: delay, self)
        }
    }

    func pauseEnded() {
        advance(paused: true)
    }

    func stopProducing() {
        let pending = state.withLock { state -> Int? in
            state.stopped = true
            defer { state.pending = nil }
            return state.pending
        }
        if let pending { pauses.cancel(pending) }
    }
}
