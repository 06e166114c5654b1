import Foundation
import MusterCore
import MusterHeadless

/// A language model for the log and headless tests: each turn's events come from a closure,
/// which may also wait (on a `TestGate`) or hang until cancelled.
struct HeadlessTestModel: LanguageModel {
    let respond: @Sendable (ModelRequest) async throws -> [ModelEvent]

    func streamTurn(_ request: ModelRequest) -> AsyncThrowingStream<ModelEvent, any Error> {
        let cursor = TurnCursor()
        let respond = self.respond
        return AsyncThrowingStream {
            try await cursor.next { try await respond(request) }
        }
    }

    /// The main agent launches `subAgents` in the background, says "Launched.", and answers
    /// "Summary of N results." once results arrive; sub-agents run `subAgent`.
    static func launcher(
        subAgents: [String],
        subAgent: @escaping @Sendable (ModelRequest) async throws -> [ModelEvent]
    ) -> HeadlessTestModel {
        HeadlessTestModel { request in
            guard request.agentName == "main" else { return try await subAgent(request) }
            let results = request.messages.filter {
                if case .user(let text) = $0 { text.hasPrefix("<\(BackgroundResultMessage.tag)") } else { false }
            }
            if case .user(let text)? = request.messages.last, text.hasPrefix("<\(BackgroundResultMessage.tag)") {
                return say("Summary of \(results.count) results.")
            }
            if case .tool? = request.messages.last { return say("Launched.") }
            let calls = subAgents.map { name in
                ModelEvent.toolCall(ToolCall(
                    id: "call_\(name)", name: "agent",
                    arguments: ["name": .string(name), "prompt": .string("look at \(name)"), "background": true]
                ))
            }
            return calls + [.endOfTurn(Usage(inputTokens: 10, outputTokens: 2))]
        }
    }

    /// A turn that says `text` in two deltas.
    static func say(_ text: String) -> [ModelEvent] {
        let middle = text.index(text.startIndex, offsetBy: text.count / 2)
        return [.textDelta(String(text[..<middle])), .textDelta(String(text[middle...])), .endOfTurn(Usage(inputTokens: 10, outputTokens: 3))]
    }

    /// Suspends until the calling task is cancelled (a sub-agent that never finishes by itself).
    static func hang() async throws -> [ModelEvent] {
        try await Task.sleep(for: .seconds(86_400))
        return []
    }
}

/// The events of one turn, computed on first pull and handed out one at a time.
private final class TurnCursor: Sendable {
    private let events = Locked<[ModelEvent]?>(nil)

    func next(load: () async throws -> [ModelEvent]) async throws -> ModelEvent? {
        if events.withLock({ $0 == nil }) {
            let loaded = try await load()
            events.withLock { $0 = loaded }
        }
        return events.withLock { events in
            guard var remaining = events, !remaining.isEmpty else { return nil }
            let first = remaining.removeFirst()
            events = remaining
            return first
        }
    }
}

/// A one-way gate: `wait` suspends until `open`.
actor TestGate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func open() {
        isOpen = true
        for waiter in waiters { waiter.resume() }
        waiters = []
    }
}

/// What a headless run wrote, by stream.
final class CapturedOutput: HeadlessOutput {
    private let text = Locked<(out: String, err: String)>(("", ""))
    let standardOutputIsTerminal: Bool

    init(standardOutputIsTerminal: Bool = false) {
        self.standardOutputIsTerminal = standardOutputIsTerminal
    }

    func write(_ text: String) throws(SessionSinkError) {
        self.text.withLock { $0.out += text }
    }

    func report(_ line: String) {
        text.withLock { $0.err += line + "\n" }
    }

    var standardOutput: String { text.withLock { $0.out } }
    var standardError: String { text.withLock { $0.err } }
}

/// Builders shared by the log and headless tests.
enum HeadlessFixtures {
    /// A session over `model` with the agent and task tools. The registry uses the real clock:
    /// its shutdown grace is an upper bound (cancelled test agents stop at once), never a wait.
    static func session(model: any LanguageModel, maxBackgroundAgents: Int = 10, configuration: Session.Configuration = .init(), clock: any Clock<Duration> = ContinuousClock()) -> Session {
        let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: maxBackgroundAgents, shutdownGrace: .seconds(10)))
        let runtime = AgentRuntime(
            registry: registry, model: model,
            tools: [AgentTool(), ListTasksTool(), WaitTaskTool(), CancelTaskTool()],
            workspace: URL(fileURLWithPath: NSTemporaryDirectory()), clock: clock
        )
        return Session(runtime: runtime, configuration: configuration)
    }

    /// A fresh empty directory under the temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("muster-log-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Every record of a log file, in order; fails on an unreadable line.
    static func records(in url: URL) throws -> [SessionRecord] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { try SessionRecord.parse($0) }
    }

    static let metadata = SessionMetadata(mode: .headless, workspace: "/tmp", model: "test")
}

/// A sink that hands every record it is given to the test, so a test can wait until records
/// have been written (to the tap: the log file has its own queue, see `flushLog`).
final class RecordTap: SessionRecordSink {
    private let continuation: AsyncStream<SessionRecord>.Continuation
    private let records: AsyncStream<SessionRecord>
    private let seen = Locked<[SessionRecord]>([])

    init() {
        (records, continuation) = AsyncStream<SessionRecord>.makeStream()
    }

    var displayName: String { "the test tap" }
    var wantsTextDeltas: Bool { false }

    func write(_ line: String) throws(SessionSinkError) {
        // A write may carry many records, one a line.
        for text in line.split(separator: "\n") {
            if let record = try? SessionRecord.parse(text) { continuation.yield(record) }
        }
    }

    func close() { continuation.finish() }

    /// Waits until the records written so far satisfy `condition` (one reader at a time).
    func waitUntil(_ condition: ([SessionRecord]) -> Bool) async {
        if condition(seen.withLock { $0 }) { return }
        for await record in records {
            let all = seen.withLock { seen in
                seen.append(record)
                return seen
            }
            if condition(all) { return }
        }
    }
}
