extension AgentRuntime {
    /// Runs `agent` until its model answers without tool calls and no background result waits;
    /// returns the last answer.
    public func run(
        agent: AgentRef,
        conversation: inout [ChatMessage],
        task: TaskContext? = nil,
        mirror: ToolProgress? = nil
    ) async throws -> String {
        try await runAnswering(agent: agent, conversation: &conversation, task: task, mirror: mirror).last ?? ""
    }

    /// A task's run of agent `name` on `prompt`, made outside the body's async frame (which then
    /// holds only the run: an idle agent's task holds the memory of its deepest chain of frames).
    @inline(never)
    func taskRun(name: String, prompt: String, task: TaskContext, mirror: ToolProgress? = nil) -> AgentRun {
        AgentRun(runtime: self, agent: AgentRef(name: name, taskID: task.id),
                 conversation: [.system(systemPrompt(for: name)), .user(prompt)], task: task, mirror: mirror,
                 delivery: .batched, persisted: 0)
    }

    /// Runs `agent` until its model answers without tool calls and no background result waits;
    /// returns every answer it gave, in order (one, plus one per batch of background results it answered).
    ///
    /// Finished background results are delivered together, every one waiting at that moment,
    /// when the model has answered what came before (or at once when the conversation has
    /// nothing to answer): one model call answers the batch, and none cuts into the work of a
    /// message. With `delivery` `.each`, one result per model call instead. Results that do not
    /// wake the agent (`wakes(_:for:)`: a task the person stopped) go into the conversation
    /// without a model call of their own; the next answer sees them. `conversation` keeps
    /// everything that happened, also when the run throws. `mirror` receives a line per notable
    /// step (a foreground sub-agent's progress shown in its parent's call).
    ///
    /// Frames: an agent waiting inside a model call holds the task memory of the deepest chain
    /// of async frames its task ever had (the task allocator keeps its 1 KB slabs once made), so
    /// the run's state lives in one object (`AgentRun`), not in this function's frame (1,200 bytes
    /// before, a slab of its own), the helpers stay out of line (`@inline(never)`) and event values
    /// are built in synchronous functions: inlined, each brought its locals (a `SessionEvent`, an
    /// `async let`'s storage) into the frames of the chain (`muster-bench --only scale-breakdown`).
    @inline(never)
    public func runAnswering(
        agent: AgentRef,
        conversation: inout [ChatMessage],
        task: TaskContext? = nil,
        mirror: ToolProgress? = nil,
        resultsFirst: Bool = false,
        delivery: ResultDelivery = .batched,
        persistedFrom: Int = 0
    ) async throws -> [String] {
        let run = AgentRun(runtime: self, agent: agent, conversation: conversation, task: task, mirror: mirror,
                           delivery: delivery, persisted: persistedFrom)
        defer { conversation = run.conversation }
        return try await run.start(resultsFirst: resultsFirst)
    }

    /// What a round of `runAnswering` does after an answer.
    enum NextRound { case goOn, finished, callTools }

    /// Runs `body` with one watch of `budget`'s deadline for the whole run; the watch is
    /// cancelled and awaited when the run ends, however it ends. Out of line, so that the
    /// `async let`'s storage is in the frame of a run with a time budget only.
    @inline(never)
    static func watchingDeadline(_ budget: BudgetGuard, _ body: () async throws -> [String]) async throws -> [String] {
        async let _ = budget.watchDeadline()
        return try await body()
    }

    /// Publishes what an agent's conversation gained from `from` on (out of line: see `runAnswering`).
    @inline(never)
    func publishConversation(agent: AgentRef, from start: Int, messages: ArraySlice<ChatMessage>) {
        events.publish(.conversation(ConversationRecord(agent: agent, from: start, messages: Array(messages))))
    }

    /// Publishes a streamed delta (out of line: see `runAnswering`).
    @inline(never)
    private func publishDelta(agent: AgentRef, text: String) {
        events.publish(.textDelta(agent: agent, text: text))
    }

    /// Publishes a finished turn's text and usage and counts the call (out of line: see `runAnswering`).
    @inline(never)
    private func publishTurn(_ turn: ModelTurn, agent: AgentRef) {
        if !turn.text.isEmpty { events.publish(.assistantMessage(agent: agent, text: turn.text)) }
        countModelCall(main: agent.taskID == nil)
        events.publish(.modelUsage(agent: agent, usage: turn.usage))
    }

    /// One streamed model turn, complete.
    struct ModelTurn: Sendable {
        var text = ""
        var calls: [ToolCall] = []
        var usage = Usage()
    }

    /// How a streamed model turn ended.
    enum StreamEnd: Sendable {
        case answered(ModelTurn)
        /// The model failed (or the stream was cancelled) after streaming `partial`.
        case failed(partial: String, any Error)
        /// The task was paused while the request was in flight: it was cancelled.
        case paused
        /// The time budget ran out while the request was in flight: it was cancelled.
        case outOfTime
    }

    /// Streams one model turn. A task's request is work in flight of its `interrupt`, run in a
    /// child task: a pause cancels it at once (no tokens spent while paused) and the turn ends
    /// `.paused`; the time budget running out ends it `.outOfTime`; a stop cancels it with the
    /// body. (A model's feed is read in the body's own task instead: see `AgentRun.read`.)
    @inline(never)
    func streamTurn(_ request: ModelRequest, agent: AgentRef, task: TaskContext?, interrupt: AgentInterrupt?) async -> StreamEnd {
        guard let interrupt else { return await consumeTurn(request, agent: agent, task: task) }
        let (answer, interrupted) = await interrupt.run(.modelCall, { await self.consumeTurn(request, agent: agent, task: task) })
        return Self.settle(answer, interrupted)
    }

    /// A model call's end given what it returned (nil: never started) and why it was
    /// interrupted, if it was: an interrupted call's partial answer is dropped, whatever it made
    /// of its cancellation or interruption.
    static func settle(_ answer: StreamEnd?, _ interrupted: AgentInterrupt.Reason?) -> StreamEnd {
        switch (answer, interrupted) {
        case (let end?, nil): end
        case (_, .paused): .paused
        case (_, .deadline), (nil, nil): .outOfTime
        }
    }

    /// Streams `request`'s turn from `streamTurn`, in this task.
    @inline(never)
    func consumeTurn(_ request: ModelRequest, agent: AgentRef, task: TaskContext?) async -> StreamEnd {
        var events = model.streamTurn(request).makeAsyncIterator()
        return await consume(&events, agent: agent, task: task)
    }

    /// Reads a turn's events to their end. A turn whose events end because the task was
    /// cancelled (a stop) is not an answer, whatever the model made of the cancellation: some
    /// streams just end.
    @inline(never)
    func consume<Events: AsyncIteratorProtocol>(_ events: inout Events, agent: AgentRef, task: TaskContext?) async -> StreamEnd
    where Events.Element == ModelEvent {
        var turn = ModelTurn()
        var writing = WritingActivity()
        do {
            while let event = try await events.next() {
                if let activity = take(event, into: &turn, writing: &writing, agent: agent, watched: task != nil), let task {
                    await Self.report(activity, of: task)
                }
            }
        } catch {
            return .failed(partial: turn.text, error)
        }
        return Task.isCancelled ? .failed(partial: turn.text, CancellationError()) : .answered(turn)
    }

    /// Adds `event` to `turn`; returns the `writing:` activity to report, if any (out of line: see `runAnswering`).
    @inline(never)
    func take(_ event: ModelEvent, into turn: inout ModelTurn, writing: inout WritingActivity, agent: AgentRef, watched: Bool) -> String? {
        switch event {
        case .textDelta(let delta):
            turn.text += delta
            publishDelta(agent: agent, text: delta)
            return watched ? writing.update(with: turn.text) : nil
        case .toolCall(let call):
            turn.calls.append(call)
        case .endOfTurn(let turnUsage):
            turn.usage = turnUsage
        }
        return nil
    }

    /// A streaming turn's activity, on the task's registry entry (out of line: see `runAnswering`).
    @inline(never)
    private static func report(_ activity: String, of task: TaskContext) async {
        await task.report(activity: activity, joinsTrail: false)
    }

    /// One model call on `conversation` offering `tools`, not interrupted by a pause (the last turn of
    /// an exhausted budget): streams it, records it and appends its answer; returns its text.
    @inline(never)
    func modelTurn(
        agent: AgentRef, conversation: inout [ChatMessage], tools: [ToolSpec], task: TaskContext?, mirror: ToolProgress?
    ) async throws -> (text: String, calls: [ToolCall]) {
        let request = ModelRequest(agentName: agent.name, messages: conversation, tools: tools)
        switch await consumeTurn(request, agent: agent, task: task) {
        case .answered(let turn):
            await recordTurn(turn, agent: agent, conversation: &conversation, task: task, mirror: mirror)
            // A stream that ended because the task was cancelled is not an answer.
            try Task.checkCancellation()
            return (turn.text, turn.calls)
        case .failed(let partial, let error):
            try AgentRuntime.keep(partial, of: error, in: &conversation)
        case .paused, .outOfTime:
            // Only `streamTurn` is interrupted; `consumeTurn` never ends this way.
            throw CancellationError()
        }
    }

    /// A failed turn's partial answer goes into the conversation and its error is thrown; a
    /// cancelled one (a stop) leaves nothing: its streamed start is no answer, and an agent
    /// stopped by the session's end comes back to ask the same step again.
    static func keep(_ partial: String, of error: any Error, in conversation: inout [ChatMessage]) throws -> Never {
        if error is CancellationError || Task.isCancelled { throw CancellationError() }
        if !partial.isEmpty { conversation.append(.assistant(text: partial, toolCalls: [])) }
        throw AgentError.model(TaskRegistry.describe(error))
    }

    /// A finished model turn: its text and usage on the bus, the call counted, the answer appended.
    @inline(never)
    func recordTurn(
        _ turn: ModelTurn, agent: AgentRef, conversation: inout [ChatMessage], task: TaskContext?, mirror: ToolProgress?
    ) async {
        publishTurn(turn, agent: agent)
        if !turn.text.isEmpty { mirror?.report("\(agent.name): \(turn.text)") }
        await task?.record(TaskUsage(modelCall: turn.usage))
        if !turn.text.isEmpty { await task?.transcribe(turn.text) }
        conversation.append(.assistant(text: turn.text, toolCalls: turn.calls))
    }

    /// Whether a finished result asks `agent` for an answer of its own: every result does, except
    /// the main agent's result of a task the person stopped (the person knows: it goes in with the
    /// main agent's next turn, whenever that comes).
    public static func wakes(_ result: TaskResult, for agent: AgentRef) -> Bool {
        !(agent.taskID == nil && result.status == .cancelled(by: .user))
    }

    /// Takes every finished result waiting for the main agent into `conversation`, as
    /// `runAnswering` delivers them; true when one of them asks for an answer (`wakes`).
    public func deliverResults(toMainAgent conversation: inout [ChatMessage]) async -> Bool {
        let results = await registry.drainResults(for: .topLevel)
        guard !results.isEmpty else { return false }
        let stillRunning = await registry.snapshot().filter { $0.countsAgainstCap && $0.spawner == .topLevel }.count
        for result in results {
            conversation.append(.user(BackgroundResultMessage.render(result, stillRunning: stillRunning)))
        }
        return results.contains { Self.wakes($0, for: .main) }
    }

    /// The model calls a sub-agent may make: its step limit, or its budget's if that is smaller.
    private func stepLimit(within budget: TaskBudget) -> Int {
        min(subAgentStepLimit, budget.maxSteps ?? subAgentStepLimit)
    }

    /// What a sub-agent launched by `spawner` may spend, given what it asks for: no more than
    /// its parent has left (the session's `agentBudget` for the main agent); `cut` names what
    /// it asked for beyond that.
    public func budget(requested: TaskBudget, spawner: Spawner) async -> (budget: TaskBudget, cut: [String]) {
        guard let parent = spawner.taskID, let snapshot = await registry.snapshot(of: parent) else {
            return agentBudget.grant(requested)
        }
        let left = snapshot.budget.remaining(after: TaskBudget.spent(snapshot.totalUsage, ownModelCalls: snapshot.usage.modelCalls, elapsed: snapshot.runningTime))
        return left.grant(requested)
    }

    /// The system prompt of an agent (one string per name, shared by its agents).
    public func systemPrompt(for name: String) -> String {
        if let prompt = systemPrompts.withLock({ $0[name] }) { return prompt }
        let prompt = "You are the \(name) agent of Muster, working in \(workspace.path). Use the tools to act; answer concisely."
        systemPrompts.withLock { prompts in
            if prompts.count < Self.promptCacheLimit { prompts[name] = prompt }
        }
        return prompt
    }

    /// Starts a background sub-agent under `spawner`; returns its id at once (or the cap refusal).
    public func startBackgroundAgent(
        name: String, prompt: String, spawner: Spawner, budget: TaskBudget = TaskBudget()
    ) async throws(TaskRegistry.StartRefusal) -> TaskID {
        let request = TaskRegistry.Request(
            name: name, kind: .agent, description: prompt, spawner: spawner, mode: .background,
            stepLimit: stepLimit(within: budget), budget: budget
        )
        return try await registry.start(request) { [self] context in
            try await taskRun(name: name, prompt: prompt, task: context).start(resultsFirst: false).last ?? ""
        }
    }

    /// Runs a foreground sub-agent: registered like any task (visible, stoppable), awaited here.
    /// Cancelling the caller cancels the sub-agent.
    /// `registered` is told the id once the task is registered, before the wait.
    public func runForegroundAgent(
        name: String, prompt: String, spawner: Spawner, budget: TaskBudget = TaskBudget(), mirror: ToolProgress?,
        registered: @Sendable (TaskID) -> Void = { _ in }
    ) async throws -> TaskResult {
        let request = TaskRegistry.Request(
            name: name, kind: .agent, description: prompt, spawner: spawner, mode: .foreground,
            stepLimit: stepLimit(within: budget), budget: budget
        )
        let id = try await registry.start(request) { [self] context in
            try await taskRun(name: name, prompt: prompt, task: context, mirror: mirror).start(resultsFirst: false).last ?? ""
        }
        registered(id)
        // The launching agent's activity names the task it now waits for (its `agent:` words
        // said only the name): `waiting for #5 explore`.
        if let parent = spawner.taskID {
            await registry.report(parent, activity: "waiting for \(id) \(name)", joinsTrail: false)
        }
        let outcome = await registry.wait(for: id, requestedBy: spawner, timeout: nil)
        if Task.isCancelled {
            await registry.cancel(id, source: .turnInterrupted)
            throw CancellationError()
        }
        switch outcome {
        case .finished(let result):
            return result
        case .timedOut(let snapshot), .alreadyDelivered(let snapshot):
            return TaskResult(id: id, name: name, description: prompt, status: snapshot.status, duration: snapshot.age, trail: snapshot.trail)
        case .cancelled:
            await registry.cancel(id, source: .turnInterrupted)
            throw CancellationError()
        case .movedToBackground(let snapshot):
            throw MovedToBackground(task: snapshot)
        case .notFound, .forbidden:
            throw ToolError("Sub-agent \(id) disappeared.")
        }
    }
}

/// When a streaming agent's `writing:` activity is worth a registry update: when its text first
/// shows, then each time the start shown has grown by a few words, until it is whole (its first
/// line ended or reached `ToolActivity.writingLength`): a handful of updates per model turn, not
/// one per delta.
struct WritingActivity {
    private var shown = 0
    private var complete = false

    /// The activity to report now that the text is `text`, or nil.
    mutating func update(with text: String) -> String? {
        guard !complete else { return nil }
        let start = ToolActivity.writingStart(of: text)
        let length = start.count
        let lineEnded = text[start.endIndex...].contains { $0.isNewline } || length >= ToolActivity.writingLength
        guard length > 0, shown == 0 || length >= shown + 16 || (lineEnded && length > shown) || length >= ToolActivity.writingLength else {
            complete = lineEnded && length > 0
            return nil
        }
        shown = length
        complete = lineEnded || length >= ToolActivity.writingLength
        return ToolActivity.writing(text)
    }
}

/// One run of `runAnswering`: its state in one object, so that the frames an idle agent's task
/// holds are small (see `runAnswering`). Used by its one task only.
final class AgentRun {
    let runtime: AgentRuntime
    let agent: AgentRef
    /// Everything that happened, also when the run throws (`runAnswering` hands it back).
    var conversation: [ChatMessage]
    let task: TaskContext?
    let mirror: ToolProgress?
    let delivery: ResultDelivery
    /// How much of the conversation is on the bus.
    var persisted: Int
    let specs: [ToolSpec]
    let limit: Int
    /// A task's model calls (and, with a time budget, its tool calls) are work in flight that
    /// a pause or the deadline ends from outside; a stop ends them by cancelling the body (and,
    /// for a feed read in the body's own task, through the run's cancellation handler).
    let interrupt: AgentInterrupt?
    var budget: BudgetGuard?
    var held: [TaskResult] = []
    var answers: [String] = []
    var step = 0
    /// The tool calls of the last answer, until `runTools` runs them.
    var calls: [ToolCall] = []

    init(runtime: AgentRuntime, agent: AgentRef, conversation: [ChatMessage], task: TaskContext?, mirror: ToolProgress?,
         delivery: ResultDelivery, persisted: Int) {
        self.runtime = runtime
        self.agent = agent
        self.conversation = conversation
        self.task = task
        self.mirror = mirror
        self.delivery = delivery
        self.persisted = persisted
        specs = runtime.toolSpecs
        limit = agent.taskID == nil ? runtime.stepLimit : runtime.subAgentStepLimit
        // The registry's interrupt for its agent, told of pauses and messages; a task of
        // another kind runs with one of its own.
        interrupt = task.map { $0.interrupt ?? AgentInterrupt() }
    }

    /// Puts what the conversation gained since the last time on the bus.
    func persist() {
        let start = min(persisted, conversation.count)
        guard start < conversation.count || persisted > conversation.count else { return }
        runtime.publishConversation(agent: agent, from: start, messages: conversation[start...])
        persisted = conversation.count
    }

    // The async functions on the way to a model call (`start`, `rounds`, `loop`, `beforeCall`,
    // `read`) stay thin: a coroutine's frame holds a slot for every local of every path
    // through it, so rarer paths and the synchronous work are functions of their own.

    /// Runs the agent until it has answered; returns its answers. The conversation goes onto the
    /// bus (and so into the log) as it grows: what the model is about to see, before each call,
    /// and the rest when the run ends, however it ends.
    @inline(never)
    func start(resultsFirst: Bool) async throws -> [String] {
        defer { persist() }
        guard let interrupt else { return try await rounds(resultsFirst: resultsFirst) }
        // One cancellation handler for the whole run, not one per wait: a feed's reader waits
        // with none of its own, in one frame (`ModelEventFeed.nextUnwatched`), and a stop
        // reaches the feed in flight through the interrupt.
        return try await withTaskCancellationHandler {
            try await rounds(resultsFirst: resultsFirst)
        } onCancel: {
            interrupt.stop()
        }
    }

    @inline(never)
    func rounds(resultsFirst: Bool) async throws -> [String] {
        if await prepare(resultsFirst: resultsFirst) { return try await loopWithDeadline() }
        return try await loop()
    }

    /// The budget granted at the task's start and the results waiting, when they come first;
    /// true when the run has a time budget to watch.
    @inline(never)
    func prepare(resultsFirst: Bool) async -> Bool {
        if let task { guardBudget(task.budget) }
        if resultsFirst || !awaitsAnswer { _ = await deliverResults() }
        return budget?.hasDeadline == true
    }

    /// A guard only for a budget with limits: most runs have none (100,000 agents held 100,000).
    @inline(never)
    func guardBudget(_ taskBudget: TaskBudget?) {
        guard let taskBudget, !taskBudget.isUnlimited else { return }
        budget = BudgetGuard(budget: taskBudget, runtime: runtime, task: task, interrupt: interrupt)
    }

    /// Whether the conversation ends with something to answer.
    var awaitsAnswer: Bool {
        if case .user = conversation.last { return true }
        return false
    }

    /// `loop` with one watch of the time budget's deadline for the whole run.
    @inline(never)
    func loopWithDeadline() async throws -> [String] {
        guard let budget else { return try await loop() }
        return try await AgentRuntime.watchingDeadline(budget, loop)
    }

    /// Takes the agent's finished results into the conversation (all, or the oldest with
    /// `.each`); true when one of them asks for an answer.
    @inline(never)
    func deliverResults() async -> Bool {
        held += await runtime.registry.drainResults(for: agent.asSpawner)
        guard !held.isEmpty else { return false }
        let batch: [TaskResult]
        if delivery == .each {
            // The results that wake nobody ride along with the next one that does.
            let count = (held.firstIndex { AgentRuntime.wakes($0, for: agent) } ?? held.count - 1) + 1
            batch = Array(held.prefix(count))
            held.removeFirst(count)
        } else {
            batch = held
            held = []
        }
        let stillRunning = await runtime.registry.snapshot().filter { $0.countsAgainstCap && $0.spawner == agent.asSpawner }.count
        for result in batch {
            conversation.append(.user(BackgroundResultMessage.render(result, stillRunning: stillRunning)))
            mirror?.report("\(agent.name): result of \(result.name) \(result.id) arrived (\(result.status.word))")
        }
        return batch.contains { AgentRuntime.wakes($0, for: agent) }
    }

    // The rounds' steps are out of line, each with its own frame, so that `loop`'s frame (held
    // for the whole run) is small, and a feed's call in flight holds only `read`'s and the
    // feed's wait (two 1 KB slabs for the whole chain, the registry's wrapper included).
    func loop() async throws -> [String] {
        do {
            while true {
                try await beforeCall()
                // A feed is read from here, so an agent waiting for its model holds one frame
                // fewer; the rest of the call is before (`openFeed`) and after (`afterFeed`).
                let next = if let feed = openFeed() { try await afterFeed(await read(feed)) } else { try await callInChild() }
                guard let next else { continue }
                switch next {
                case .goOn: continue
                case .finished: return answers
                case .callTools: try await runTools()
                }
            }
        } catch {
            recover()
            throw error
        }
    }

    /// Results taken from the inbox stay in the conversation: delivered once, seen next time.
    @inline(never)
    func recover() {
        for result in held { conversation.append(.user(BackgroundResultMessage.render(result))) }
    }

    /// Until the next model call may be made: the budget checked (its last turn when used up),
    /// the step counted, paused waits, messages read.
    @inline(never)
    func beforeCall() async throws {
        try Task.checkCancellation()
        if let budget { try await checkBudget(budget) }
        try countStep()
        guard let task else { return }
        // Posted, not a trip to the registry (see `BodyMailbox`): an agent on its way to a
        // model call makes none, unless it is paused or has messages.
        await task.registry.post(.report(task.id, step: step, activity: "thinking", joinsTrail: true))
        try Task.checkCancellation()
        // Paused: no model call until resumed (a pause coming after this look ends the call
        // before it starts: `AgentInterrupt.begin`). Messages sent meanwhile are read now.
        if interrupt?.isPaused == true { try await task.untilRunning() }
        if interrupt?.hasMessagesWaiting ?? true { read(await task.registry.takeMessages(for: task.id)) }
    }

    /// The last turn when the budget is used up.
    @inline(never)
    func checkBudget(_ budget: BudgetGuard) async throws {
        if let reason = await budget.exhaustion() { try await lastTurn(reason) }
    }

    @inline(never)
    func countStep() throws {
        step += 1
        if step > limit { throw AgentError.stepLimitReached(limit) }
    }

    @inline(never)
    func read(_ messages: [AgentMessage]) {
        for message in messages { conversation.append(.user(message.conversationText)) }
    }

    /// One last turn with no tools, told why the budget is used up: its answer is the task's report.
    @inline(never)
    func lastTurn(_ reason: String) async throws -> Never {
        conversation.append(.user(BudgetGuard.lastTurnMessage(reason)))
        await task?.report(step: step + 1, activity: "reporting (budget exhausted)")
        let report = try await runtime.modelTurn(agent: agent, conversation: &conversation, tools: [], task: task, mirror: mirror).text
        throw AgentError.budgetExhausted(reason: reason, report: report)
    }

    /// The model call and its answer recorded; what comes next, or nil when a pause or the
    /// deadline ended the call (the same step is asked again).
    /// The model call's feed, if the model plays one (nil: the call runs in a child task), begun
    /// as the work in flight; the conversation on the bus first. A feed refused by an
    /// interruption that came first is interrupted already: its reading ends at once.
    @inline(never)
    func openFeed() -> ModelEventFeed? {
        persist()
        guard let interrupt, let feed = runtime.model.feedTurn(request()) else { return nil }
        _ = interrupt.begin(feed)
        return feed
    }

    /// The feed's call ended (`failure` nil: answered): what comes next, or nil when a pause
    /// or the deadline ended it (the same step is asked again).
    @inline(never)
    func afterFeed(_ read: (turn: AgentRuntime.ModelTurn, failure: (any Error)?)) async throws -> AgentRuntime.NextRound? {
        guard let interrupt, let turn = try settle(read, interrupt.end()) else { return nil }
        return try await answered(turn)
    }

    /// Reads `feed`; returns the turn, answered or (with why it ended) not. Its locals are in
    /// this frame, not in the run: the frames held while the agent waits fit two 1 KB slabs
    /// with room to spare, and the run is made per agent.
    @inline(never)
    func read(_ feed: ModelEventFeed) async -> (turn: AgentRuntime.ModelTurn, failure: (any Error)?) {
        var turn = AgentRuntime.ModelTurn()
        var writing = WritingActivity()
        do {
            while let event = try await feed.nextUnwatched() {
                if let activity = runtime.take(event, into: &turn, writing: &writing, agent: agent, watched: task != nil) {
                    await report(activity)
                }
            }
        } catch {
            return (turn, error)
        }
        // A turn whose feed ended because the task was cancelled (a stop) is not an answer.
        return (turn, Task.isCancelled ? CancellationError() : nil)
    }

    /// A streaming turn's activity, on the task's registry entry (out of line: see `runAnswering`).
    @inline(never)
    func report(_ activity: String) async {
        guard let task else { return }
        await task.registry.post(.report(task.id, step: nil, activity: activity, joinsTrail: false))
    }

    /// A feed's turn as a call's end (see `AgentRuntime.settle`); nil when a pause or the deadline ended it.
    @inline(never)
    func settle(_ read: (turn: AgentRuntime.ModelTurn, failure: (any Error)?), _ interrupted: AgentInterrupt.Reason?) throws -> AgentRuntime.ModelTurn? {
        let end: AgentRuntime.StreamEnd = read.failure.map { .failed(partial: read.turn.text, $0) } ?? .answered(read.turn)
        return try settle(AgentRuntime.settle(end, interrupted))
    }

    /// The call in a child task of this one (`streamTurn`), for a model that plays no feed.
    @inline(never)
    func callInChild() async throws -> AgentRuntime.NextRound? {
        let end = await runtime.streamTurn(request(), agent: agent, task: task, interrupt: interrupt)
        guard let turn = try settle(end) else { return nil }
        return try await answered(turn)
    }

    @inline(never)
    func request() -> ModelRequest {
        ModelRequest(agentName: agent.name, messages: conversation, tools: specs)
    }

    /// The answered turn, or nil when the call was ended by a pause or the deadline; throws for a failed one.
    @inline(never)
    func settle(_ end: AgentRuntime.StreamEnd) throws -> AgentRuntime.ModelTurn? {
        switch end {
        case .paused:
            // The request was cancelled by the pause: nothing of it is kept, and the same
            // step is asked again once resumed.
            step -= 1
            return nil
        case .outOfTime:
            // The time budget ended the request: nothing of it is kept; the next round
            // finds the budget used up and asks for the report.
            step -= 1
            return nil
        case .failed(let partial, let error):
            try AgentRuntime.keep(partial, of: error, in: &conversation)
        case .answered(let turn):
            return turn
        }
    }

    /// The answer recorded; what comes next (the calls it asked for kept for `runTools`).
    @inline(never)
    func answered(_ turn: AgentRuntime.ModelTurn) async throws -> AgentRuntime.NextRound {
        await runtime.recordTurn(turn, agent: agent, conversation: &conversation, task: task, mirror: mirror)
        // A stream that ended because the task was cancelled is not an answer.
        try Task.checkCancellation()
        guard turn.calls.isEmpty else {
            calls = turn.calls
            return .callTools
        }
        answers.append(turn.text)
        // A message came while it answered: it reads it and goes on.
        if let task, await task.hasMessages() { return .goOn }
        // Results are a new message: their answer gets the step limit afresh, as a
        // turn of its own would (50 results must not exhaust a limit of 20).
        if await deliverResults() {
            step = 0
            return .goOn
        }
        return .finished
    }

    /// Runs the calls the last answer asked for.
    @inline(never)
    func runTools() async throws {
        let calls = self.calls
        self.calls = []
        for call in calls { mirror?.report("\(agent.name): \(call.name) \(call.arguments.jsonText)") }
        // The calls, and then their results, are in the log before anything else waits
        // (the calls themselves, a pause): a restart finds them, not a question asked again.
        persist()
        let executor = ToolExecutor(runtime: runtime)
        let outputs = if let budget { await budget.run(calls, executor: executor, agent: agent) } else { await executor.run(calls, agent: agent, task: task) }
        try Task.checkCancellation()
        for (call, output) in zip(calls, outputs) {
            conversation.append(.tool(callID: call.id, name: call.name, content: output.isError ? "Error: \(output.content)" : output.content))
        }
        persist()
    }
}
