import Foundation
import MusterCore

/// Builders shared by the log and headless tests.
public enum HeadlessFixtures {
    /// A session over `model` with the agent and task tools. The registry uses the real clock:
    /// its shutdown grace is an upper bound (cancelled test agents stop at once), never a wait.
    public static func session(
        model: any LanguageModel, maxBackgroundAgents: Int = 10,
        configuration: Session.Configuration = .init(), clock: any Clock<Duration> = ContinuousClock()
    ) -> Session {
        let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: maxBackgroundAgents, shutdownGrace: .seconds(10)))
        let runtime = AgentRuntime(
            registry: registry, model: model,
            tools: [AgentTool(), ListTasksTool(), WaitTaskTool(), CancelTaskTool(), SendMessageTool()],
            workspace: URL(fileURLWithPath: NSTemporaryDirectory()), clock: clock
        )
        return Session(runtime: runtime, configuration: configuration)
    }

    /// A fresh empty directory under the temporary directory.
    public static func temporaryDirectory() throws -> URL {
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("muster-log-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Every record of a log file, in order; fails on an unreadable line.
    public static func records(in url: URL) throws -> [SessionRecord] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { try SessionRecord.parse($0) }
    }

    public static let metadata = SessionMetadata(mode: .headless, workspace: "/tmp", model: "test")
}
