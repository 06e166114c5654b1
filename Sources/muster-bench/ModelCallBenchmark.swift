import Foundation
import MusterCore
import MusterHeadless
import MusterTestSupport

/// Model calls of a headless run whose main agent launches 50 background agents that finish one
/// by one: the default (`--summarize final`) against one call per result (`--summarize each`).
struct ModelCallBenchmark {
    let report: BenchmarkReport

    /// `spread`: how long after the launch the last agent finishes (the first at once).
    func run(agents: Int = 50, spread: Duration) async throws {
        // The sessions `muster -p` makes for `--summarize final` and `each` (Sources/muster).
        let final = try await calls(agents: agents, spread: spread, configuration: Session.Configuration(waitForAllBackgroundWork: true))
        let each = try await calls(agents: agents, spread: spread, configuration: Session.Configuration(delivery: .each, settleWindow: .zero))
        // The launch turn is two main-agent calls: the launch and the answer to it.
        let afterLaunch = final.main - 2
        report.add(
            "model calls", "\(agents)-agent headless run: main agent after its launch turn", Double(afterLaunch), unit: "calls",
            target: "≤ 3", met: afterLaunch <= 3
        )
        report.add("model calls", "the same with one call per result (--summarize each)", Double(each.main - 2), unit: "calls")
        report.add(
            "model calls", "\(agents)-agent headless run: all agents (main \(final.main))", Double(final.total), unit: "calls",
            target: "≤ \(agents + 5)", met: final.total <= agents + 5, detail: "with --summarize each: main \(each.main), all \(each.total)"
        )
    }

    private func calls(agents: Int, spread: Duration, configuration: Session.Configuration) async throws -> RunResult.ModelCalls {
        let step = spread / max(1, agents - 1)
        let model = ClosureModel { agent, turn, request in
            switch agent {
            case "main" where turn == 0 && request.latestUserMessage == "launch":
                return (0..<agents).map { .call("agent", ["name": "worker", "prompt": .string("\($0)"), "background": true]) } + [.end]
            case "main":
                return [.textDelta("Noted."), .end]
            default:
                // The agent's work: it ends `index` steps after the launch.
                let index = Int(request.latestUserMessage ?? "") ?? 0
                try await Task.sleep(for: step * index)
                return [.textDelta("worker \(index) done"), .end]
            }
        }
        let session = HeadlessFixtures.session(model: model, maxBackgroundAgents: agents, configuration: configuration)
        let runner = HeadlessRunner(
            session: session, options: HeadlessOptions(outputFormat: .json), log: .disabled,
            metadata: HeadlessFixtures.metadata, output: DiscardedOutput(), environment: [:]
        )
        let (stops, _) = AsyncStream<RunEnding>.makeStream()
        let outcome = await runner.run(prompt: "launch", stops: stops)
        guard outcome.ending == .completed else { throw BenchError("the run ended \(outcome.ending)") }
        return outcome.result.modelCalls
    }
}

/// Standard output and error of a headless run nobody reads.
private struct DiscardedOutput: HeadlessOutput {
    func write(_ text: String) throws(SessionSinkError) {}
    func report(_ line: String) {}
    var standardOutputIsTerminal: Bool { false }
}

/// Why a benchmark could not measure.
private struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
