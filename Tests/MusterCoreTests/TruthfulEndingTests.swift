import Foundation
import MusterTestSupport
import Testing
@testable import MusterCore

/// A stopped task becomes terminal when its processes are gone, not when its body is told to stop.
@Suite("truthful ending time")
struct TruthfulEndingTests {
    @Test("An agent stopped while its shell call ignores SIGTERM stays stopping until SIGKILL after the grace period reaped it")
    func agentWithStubbornShellStaysStopping() async throws {
        let grace = Duration.milliseconds(400)
        let command = "trap '' TERM; echo \"leader $$\"; while :; do sleep 0.05; done"
        let model = ClosureModel { agent, turn, _ in
            agent == "worker" && turn == 0 ? [.call("shell", ["command": .string(command)]), .end] : [.textDelta("done"), .end]
        }
        let runtime = makeRuntime(model: model, tools: [ShellTool(grace: grace)])
        let events = runtime.events.subscribe()
        let id = try await runtime.startBackgroundAgent(name: "worker", prompt: "run it", spawner: .topLevel)
        var leader: pid_t?
        _ = await events.read { event in
            if case .toolProgress(_, _, let line, _) = event, line.hasPrefix("leader ") {
                leader = pid_t(line.dropFirst("leader ".count))
                return true
            }
            return false
        }
        let group = try #require(leader)

        let stoppedAt = ContinuousClock.now
        await runtime.registry.cancel(id, source: .user)
        #expect(await runtime.registry.snapshot(of: id)?.statusWord == "stopping")
        let final = try #require(await events.tasks.readUntilFinished(id))
        let took = ContinuousClock.now - stoppedAt
        #expect(final.status == .cancelled(by: .user))
        #expect(took >= grace, "ended before the SIGKILL: \(took)")
        #expect(ProcessWatch.livingMembers(ofGroup: group).isEmpty, "terminal while its processes still ran")
    }
}
