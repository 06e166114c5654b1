import Foundation
import Logging
import Synchronization

/// The engine behind every agent of a session: model, tools, registry and event bus.
/// Holds no per-agent or per-call state; each agent's conversation lives in its own loop.
public final class AgentRuntime: Sendable {
    public let registry: TaskRegistry
    public let model: any LanguageModel
    public let tools: [String: any Tool]
    /// What every agent's model call offers, sorted by name: made once, shared by every agent's
    /// run (made per run, 100,000 agents held 100,000 copies).
    let toolSpecs: [ToolSpec]
    /// The session's event bus: the registry's, which publishes its transitions onto it too.
    public let events: SessionEventHub
    public let workspace: URL
    public let clock: any Clock<Duration>
    /// Model calls allowed per run of the main agent before it fails.
    public let stepLimit: Int
    /// Model calls allowed per sub-agent before it fails (real background work needs more).
    public let subAgentStepLimit: Int
    /// Background shells: started by the `shell` tool with `background: true` and by `!cmd &`.
    public let backgroundShells: BackgroundShells
    /// What every sub-agent may spend at most (`--agent-max-tokens` etc.): what the main agent
    /// has to give; a sub-agent gets it, or less if it asks for less.
    public let agentBudget: TaskBudget
    /// What agents may do without asking, and the requests waiting for the person. A runtime
    /// built without one (tests, benchmarks) asks for nothing; the executable always gives one
    /// (mode `ask` by default).
    public let approvals: ApprovalGate
    let logger: Logger
    private let callCounter = Atomic<Int>(0)
    private let mainModelCalls = Atomic<Int>(0)
    private let allModelCalls = Atomic<Int>(0)
    /// System prompts by agent name, made once: every agent's conversation shares the string
    /// (100,000 agents held 100,000 copies). At most `promptCacheLimit` names.
    let systemPrompts = Locked<[String: String]>([:])
    static let promptCacheLimit = 256

    public init(
        registry: TaskRegistry,
        model: any LanguageModel,
        tools: [any Tool],
        workspace: URL,
        clock: any Clock<Duration> = ContinuousClock(),
        stepLimit: Int = 20,
        subAgentStepLimit: Int? = nil,
        backgroundShells: BackgroundShells = BackgroundShells(),
        agentBudget: TaskBudget = TaskBudget(),
        approvals: ApprovalGate = ApprovalGate(mode: .auto, canAsk: false),
        logger: Logger = Logger(label: "muster.agents", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.registry = registry
        self.model = model
        self.tools = Dictionary(tools.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        toolSpecs = self.tools.values.map(\.spec).sorted { $0.name < $1.name }
        self.events = registry.events
        self.workspace = workspace
        self.clock = clock
        self.stepLimit = stepLimit
        self.subAgentStepLimit = subAgentStepLimit ?? stepLimit
        self.backgroundShells = backgroundShells
        self.agentBudget = agentBudget
        self.approvals = approvals
        self.logger = logger
    }

    /// Model calls made so far in this session: the main agent's and every agent's.
    public var modelCalls: RunResult.ModelCalls {
        RunResult.ModelCalls(main: mainModelCalls.load(ordering: .relaxed), total: allModelCalls.load(ordering: .relaxed))
    }

    func countModelCall(main: Bool) {
        allModelCalls.add(1, ordering: .relaxed)
        if main { mainModelCalls.add(1, ordering: .relaxed) }
    }

    /// A session-unique tool call id (`call_1`, `call_2`, ...), used when a model gives none.
    public func makeCallID() -> String {
        "call_\(callCounter.add(1, ordering: .relaxed).newValue)"
    }
}
