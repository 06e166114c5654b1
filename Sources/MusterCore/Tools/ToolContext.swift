import Foundation

/// Who is calling a tool: the agent's name and, for sub-agents, its task id.
public struct AgentRef: Sendable, Equatable, Hashable, CustomStringConvertible {
    public let name: String
    /// Nil for the top-level (main) agent.
    public let taskID: TaskID?

    public init(name: String, taskID: TaskID?) {
        self.name = name
        self.taskID = taskID
    }

    /// The main agent of a session.
    public static let main = AgentRef(name: "main", taskID: nil)

    /// The spawner value for tasks this agent launches.
    public var asSpawner: Spawner { taskID.map(Spawner.task) ?? .topLevel }

    public var description: String { taskID.map { "\(name) \($0)" } ?? name }
}

/// One tool call's progress stream: created for that call alone, closed exactly once.
///
/// A report is handed straight to the call's own sink on the reporting thread (no queue and no
/// forwarding task), so per-call order is kept for free; after `close` every report is dropped,
/// so nothing of a call can appear after the call's end, even from work the tool leaked.
public struct ToolProgress: Sendable {
    private let sink: Sink

    /// A stream whose lines go to `deliver` until closed; `deliver` must be quick and never block.
    public static func forwarding(to deliver: @escaping @Sendable (String) -> Void) -> (progress: ToolProgress, close: @Sendable () -> Void) {
        let sink = Sink(deliver)
        return (ToolProgress(sink: sink), { sink.close() })
    }

    /// Reports one progress line for this call.
    public func report(_ line: String) {
        sink.report(line)
    }

    /// A sink that drops everything (for calls nobody watches, e.g. in unit tests of a tool).
    public static func discarding() -> ToolProgress {
        let (progress, close) = forwarding { _ in }
        close()
        return progress
    }

    /// A fresh stream as an `AsyncStream` and its reporter, for one call (tests read it this way).
    public static func makeStream() -> (stream: AsyncStream<String>, progress: ToolProgress, finish: @Sendable () -> Void) {
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .unbounded)
        let (progress, close) = forwarding { continuation.yield($0) }
        return (stream, progress, {
            close()
            continuation.finish()
        })
    }

    private init(sink: Sink) {
        self.sink = sink
    }

    private final class Sink: Sendable {
        private let deliver: @Sendable (String) -> Void
        /// Held while delivering, so `close` returns only after any report in flight is out.
        private let isOpen = Locked(true)

        init(_ deliver: @escaping @Sendable (String) -> Void) {
            self.deliver = deliver
        }

        func report(_ line: String) {
            isOpen.withLock { open in
                if open { deliver(line) }
            }
        }

        func close() {
            isOpen.withLock { $0 = false }
        }
    }
}

/// Everything one tool call may use: its own ids, the workspace, its own progress stream,
/// and the services behind agent and task tools. Never stored on a tool.
public struct ToolContext: Sendable {
    public let callID: String
    public let agent: AgentRef
    /// The workspace root; file tools refuse paths outside it.
    public let workspace: URL
    public let progress: ToolProgress
    /// Runtime services (sub-agents, the registry); nil in isolated tool tests.
    public let runtime: AgentRuntime?

    public init(callID: String, agent: AgentRef, workspace: URL, progress: ToolProgress, runtime: AgentRuntime?) {
        self.callID = callID
        self.agent = agent
        self.workspace = workspace
        self.progress = progress
        self.runtime = runtime
    }

    /// The task id of the calling agent, if it is a sub-agent.
    public var taskID: TaskID? { agent.taskID }
}
