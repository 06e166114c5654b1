import Foundation
@testable import MusterCore
import MusterPresentation
import MusterTestSupport
import Testing

/// `/tasks show`: a task's steps against its limit, and the session's model calls.
@Suite("Steps and model calls in /tasks show")
struct StepCountTests {
    @Test("a finished sub-agent shows the steps it took against its limit, and the session counts every model call and the main agent's")
    func stepsAndSessionCalls() async throws {
        let model = ClosureModel { agent, turn, _ in
            switch (agent, turn) {
            case ("main", 0): [.call("agent", ["name": "worker", "prompt": "p", "background": false]), .end]
            case ("worker", 0), ("worker", 1): [.call("emit", ["tag": .string("t\(turn)")]), .end]
            default: [.textDelta("done"), .end]
            }
        }
        let runtime = makeRuntime(model: model, tools: [EmitTool()], subAgentStepLimit: 100)
        let session = Session(runtime: runtime)
        await session.start()
        let events = session.events.subscribe()
        await session.send(.prompt("go"))
        _ = await events.collect { event in
            if case .turnEnd = event { return true }
            return false
        }
        await session.send(.submit("/tasks show 1"))
        let seen = await events.collect { event in
            if case .reply = event { return true }
            return false
        }
        guard case .reply(let reply) = seen.last, case .taskDetail(let task, _, _, let calls) = reply else {
            Issue.record("no task detail in \(seen)")
            return
        }
        #expect(task.step == 3)
        #expect(task.stepLimit == 100)
        #expect(calls == RunResult.ModelCalls(main: 2, total: 5))
        let text = ReplyFormatter.lines(for: reply).map(\.text)
        #expect(text.contains { $0.hasPrefix("Usage: ") && $0.hasSuffix(" · step 3/100") })
        #expect(text.contains("Session: 5 model calls (main agent 2)"))
        _ = await session.shutdown()
    }
}
