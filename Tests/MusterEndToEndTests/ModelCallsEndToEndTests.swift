import Foundation
import MusterCore
import Synchronization
import Testing

/// What background work costs the main agent in model calls, counted by a local
/// OpenAI-compatible server that sees every request of the real binary.
@Suite("Model calls against a counting server", .enabled(if: HeadlessProcess.binary != nil, "needs the built binary (.build/debug/muster)"))
struct ModelCallsEndToEndTests {
    @Test("fifty background agents finishing over ten seconds cost the headless main agent at most three model calls after its launch turn, and the JSON result counts every call", .timeLimit(.minutes(3)))
    func fiftyAgentsHeadless() async throws {
        let launched = OneShot()
        try await CountingOpenAIServer.with(respond: { request in
            guard request.agent == "main" else {
                // "finish after N ms": the agents end one by one over about ten seconds, counted
                // from the end of the launch turn (on a loaded machine that turn may take seconds).
                let milliseconds = Int(request.latestUserText.split(separator: " ").dropFirst(2).first ?? "") ?? 0
                let start = await launched.value()
                return .text("worker done", after: start + .milliseconds(milliseconds) - ContinuousClock.now)
            }
            guard request.hasToolResults else {
                return .toolCalls((0..<50).map { index in
                    ("agent", #"{"name": "worker", "prompt": "finish after \#(index * 200) ms", "background": true}"#)
                })
            }
            launched.fire(ContinuousClock.now)
            return .text("Noted.")
        }) { server in
            let scratch = try HeadlessProcess.makeScratch()
            defer { try? FileManager.default.removeItem(at: scratch) }
            let muster = try HeadlessProcess(
                ["-p", "launch fifty", "--output-format", "json", "--max-background-agents", "50"],
                scratch: scratch, script: nil, environment: server.environment
            )
            defer { muster.stop() }
            #expect(try await muster.waitForExit(timeout: .seconds(120)) == 0)

            let main = server.requests(from: "main")
            #expect(server.requests(from: "worker").count == 50)
            // The launch turn: the call that launches them and the answer to the launch.
            let afterLaunch = main.dropFirst(2)
            #expect(afterLaunch.count >= 1 && afterLaunch.count <= 3, "main-agent calls after the launch turn: \(afterLaunch.count); output: \(muster.standardOutput) \(muster.standardError)")
            let delivered = afterLaunch.last.map { $0.text.components(separatedBy: #"status="completed""#).count - 1 } ?? 0
            #expect(delivered == 50, "the last call sees every result; completed results per call: \(afterLaunch.map { $0.text.components(separatedBy: #"status="completed""#).count - 1 })")

            let result = try #require(try JSONSerialization.jsonObject(with: Data(muster.standardOutput.utf8)) as? [String: Any])
            let calls = try #require(result["model_calls"] as? [String: Any])
            #expect(calls["main"] as? Int == main.count)
            #expect(calls["total"] as? Int == server.requests.count)
        }
    }

    @Test("a task the person stops with /tasks stop starts no main-agent call: its result goes in with the next call, which a later result starts", .timeLimit(.minutes(2)))
    func userStopStartsNoCall() async throws {
        let (release, open) = AsyncStream<Void>.makeStream()
        try await CountingOpenAIServer.with(respond: { request in
            switch request.agent {
            case "held":
                // Busy until it is stopped (the connection goes away with the stop).
                return .text("never", after: .seconds(3600))
            case "timed":
                for await _ in release { break }
                // Ends two seconds after the stop: anything the stop started would come first.
                return .text("timed done", after: .seconds(2))
            default:
                guard request.hasToolResults else {
                    return .toolCalls([
                        ("agent", #"{"name": "held", "prompt": "hold", "background": true}"#),
                        ("agent", #"{"name": "timed", "prompt": "wait", "background": true}"#),
                    ])
                }
                return .text(request.latestUserText.contains(#"name="timed""#) ? "Both noted." : "Launched.")
            }
        }) { server in
            let scratch = try HeadlessProcess.makeScratch()
            defer { try? FileManager.default.removeItem(at: scratch) }
            let input = Pipe()
            let muster = try HeadlessProcess([], scratch: scratch, script: nil, environment: server.environment, input: input)
            defer { muster.stop() }
            input.fileHandleForWriting.write(Data("launch\n".utf8))
            try await muster.waitForOutput { output in
                output.contains("Launched.") && server.requests(from: "held").count == 1 && server.requests(from: "timed").count == 1
            }
            let mainBefore = server.requests(from: "main").count
            // The two launches run side by side: either may get #1.
            try await muster.waitForOutput { $0.contains(#"agent "held" started in the background (task #"#) }
            let held = try #require(
                muster.standardOutput.firstMatch(of: /agent "held" started in the background \(task #([0-9]+)\)/).map { String($0.output.1) }
            )

            let mark = muster.standardOutput.utf8.count
            input.fileHandleForWriting.write(Data("/tasks stop \(held)\n".utf8))
            // The stop's reply, then the pill once the stopped task has ended.
            try await muster.waitForOutput { output in
                let since = String(decoding: output.utf8.dropFirst(mark), as: UTF8.self)
                return since.contains("Stopping task #\(held) (held)") && since.contains("[1/10 agents]")
            }
            open.yield()
            try await muster.waitForOutput { $0.contains("Both noted.") }

            let afterStop = server.requests(from: "main").dropFirst(mainBefore)
            #expect(afterStop.count == 1, "main-agent calls after the stop: \(afterStop.count)")
            let text = afterStop.first?.text ?? ""
            #expect(text.contains(#"name="held" status="cancelled""#))
            #expect(text.contains(#"name="timed" status="completed""#))
            try input.fileHandleForWriting.close()
            #expect(try await muster.waitForExit() == 0)
        }
    }
}

/// A value set once that any number of tasks can wait for.
final class OneShot: Sendable {
    private let state = Mutex<(value: ContinuousClock.Instant?, waiters: [CheckedContinuation<ContinuousClock.Instant, Never>])>((nil, []))

    /// Sets the value (the first call wins) and resumes every waiter.
    func fire(_ value: ContinuousClock.Instant) {
        let waiters = state.withLock { state -> [CheckedContinuation<ContinuousClock.Instant, Never>] in
            guard state.value == nil else { return [] }
            state.value = value
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    /// The value, once it is set.
    func value() async -> ContinuousClock.Instant {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> ContinuousClock.Instant? in
                if let value = state.value { return value }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
