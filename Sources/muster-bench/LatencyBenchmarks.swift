import Foundation
import MusterCore
import MusterPresentation
import MusterTUI
import MusterTestSupport

/// The latency a person feels, on the real app loop: `FrontEnd.runInteractive` on a
/// `PipeTerminal` (keys typed into a pipe the app's read source watches, frames presented on an
/// in-memory grid), with a real session whose background agents stream text, tool calls and
/// progress through the agent loop while the figures are taken.
@MainActor
struct LatencyBenchmarks {
    let report: BenchmarkReport

    private static let size = ScreenSize(rows: 40, columns: 120)
    /// Progress lines of one `stream` call, one every 20 ms: with the turn's text and the call
    /// itself, about 50 events a second per agent.
    private nonisolated static let linesPerCall = 48

    func run(quick: Bool) async throws {
        let agents = 200
        let stops = quick ? 20 : 100
        let total = agents + stops
        let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: total + 10, shutdownGrace: .seconds(5)))
        let load = LoadCount()
        let model = ClosureModel { agent, turn, request in
            switch agent {
            case "main" where turn == 0 && request.latestUserMessage == "launch":
                return (0..<total).map { _ in .call("agent", ["name": "streamer", "prompt": "stream", "background": true]) } + [.end]
            case "main":
                return [.textDelta("Launched."), .end]
            default:
                load.add(2)
                return [.textDelta("Step \(turn): streaming more lines. "), .call("stream", ["lines": .number(Double(Self.linesPerCall))]), .end]
            }
        }
        let scratch = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("muster-bench-latency-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let runtime = AgentRuntime(
            registry: registry, model: model, tools: [AgentTool(), StreamTool(load: load)], workspace: scratch, stepLimit: 1_000_000
        )
        let session = Session(runtime: runtime, configuration: .init(continueOnBackgroundResults: false))
        let terminal = try PipeTerminal(size: Self.size)
        let probe = FrameProbe()
        terminal.onPresent = { frame, at in probe.presented(frame, at: at) }
        let options = FrontEndOptions(
            historyFile: scratch.appendingPathComponent("history"),
            environment: ["TERM": "xterm-256color", "HOME": scratch.path], showsAgentPanel: true
        )
        let app = Task { @MainActor in await FrontEnd.runInteractive(session: session, terminal: terminal, options: options) }

        _ = try await probe.first(within: .seconds(10)) { _ in true }
        terminal.type("launch\r")
        let cap = total + 10
        _ = try await probe.first(within: .seconds(60)) { $0.text.contains("\(total)/\(cap) agents") }
        // Let the agents get into their stride.
        try await Task.sleep(for: quick ? .seconds(1) : .seconds(3))

        let loadStart = (load.count, ContinuousClock.now)
        do {
            let (stop, toReply, fromReply) = try await stopToScreen(registry: registry, terminal: terminal, probe: probe, trials: stops)
            let keys = try await keyToFrame(terminal: terminal, probe: probe, keys: quick ? 100 : 500)
            let (finished, fromPublish) = try await eventToScreen(registry: registry, probe: probe, trials: quick ? 20 : 100)
            let running = await registry.runningBackgroundAgents
            let rate = Double(load.count - loadStart.0) / (ContinuousClock.now - loadStart.1).seconds
            report.add(
                "latency", "load: agent events per second (text, tool calls, progress lines)", rate, unit: "/s",
                target: "≈ \(agents * 50)/s (\(agents) × 50)"
            )
            let load = "\(agents) agents streaming (\(running) at the end)"
            report.add("latency", "key to frame, \(load): median", keys.median, unit: "ms", target: "< 2 ms", met: keys.median < 2)
            report.add("latency", "key to frame, \(load): p99", keys.p99, unit: "ms", target: "< 8 ms", met: keys.p99 < 8)
            report.add("latency", "stop to screen (Enter on /tasks stop), same load: median", stop.median, unit: "ms")
            report.add("latency", "stop to screen (Enter on /tasks stop), same load: p99", stop.p99, unit: "ms", target: "< 16 ms", met: stop.p99 < 16)
            report.add(
                "latency", "the same, Enter to the session's reply published: median / p99 \(BenchmarkReport.format(toReply.p99)) ms",
                toReply.median, unit: "ms"
            )
            report.add(
                "latency", "the same, reply published to the frame: median / p99 \(BenchmarkReport.format(fromReply.p99)) ms",
                fromReply.median, unit: "ms"
            )
            report.add("latency", "event to screen (finished to its completion line), same load: median", finished.median, unit: "ms")
            report.add(
                "latency", "event to screen (finished to its completion line), same load: p99", finished.p99, unit: "ms",
                target: "< 40 ms", met: finished.p99 < 40
            )
            report.add(
                "latency", "the same, from the registry's publishing of finished: median / p99 \(BenchmarkReport.format(fromPublish.p99)) ms",
                fromPublish.median, unit: "ms"
            )
        } catch {
            await Self.quit(terminal: terminal, probe: probe)
            _ = await app.value
            throw error
        }
        await Self.quit(terminal: terminal, probe: probe)
        _ = await app.value
    }

    /// `/quit`, and `y` to the question it asks while agents run (without the answer the app
    /// waited for it forever, and the bench with it).
    private static func quit(terminal: PipeTerminal, probe: FrameProbe) async {
        terminal.type("/quit\r")
        if (try? await probe.first(within: .seconds(10)) { $0.text.contains("quit? (y/n)") }) != nil {
            terminal.type("y\r")
        }
    }

    /// A character typed at the prompt, then erased, again and again: from the write into the
    /// terminal's input to the first frame whose cursor shows it.
    private func keyToFrame(terminal: PipeTerminal, probe: FrameProbe, keys: Int) async throws -> Distribution {
        guard let base = terminal.frame.cursor?.column else { throw LatencyError("no cursor at the prompt") }
        var samples: [Double] = []
        for index in 0..<keys {
            let typing = index % 2 == 0
            let expected = typing ? base + 1 : base
            let sent = ContinuousClock.now
            terminal.type(typing ? "x" : "\u{7F}")
            let shown = try await probe.first(within: .seconds(10)) { $0.cursor?.column == expected }
            samples.append((shown - sent).milliseconds)
            try await Task.sleep(for: .milliseconds(10))
        }
        return Distribution(samples)
    }

    /// `/tasks stop <id>` typed, then Enter: from the Enter to the first frame saying the task is stopping.
    /// Also split at the instant the session published its reply (stamped on the publisher's
    /// thread by a filter that takes nothing): the session's part, then the app's.
    private func stopToScreen(
        registry: TaskRegistry, terminal: PipeTerminal, probe: FrameProbe, trials: Int
    ) async throws -> (Distribution, toReply: Distribution, fromReply: Distribution) {
        guard let base = terminal.frame.cursor?.column else { throw LatencyError("no cursor at the prompt") }
        let running = await registry.snapshot().filter { $0.name == "streamer" && !$0.isTerminal }.map(\.id)
        guard running.count >= trials else { throw LatencyError("only \(running.count) agents run") }
        let replied = Locked<ContinuousClock.Instant?>(nil)
        let watcher = registry.events.subscribe(where: { event in
            if case .reply = event { replied.withLock { $0 = .now } }
            return false
        })
        defer { watcher.finish() }
        var samples: [Double] = []
        var toReply: [Double] = []
        var fromReply: [Double] = []
        for id in running.suffix(trials) {
            let command = "/tasks stop \(id)"
            terminal.type(command)
            _ = try await probe.first(within: .seconds(10)) { $0.cursor?.column == base + command.count }
            replied.withLock { $0 = nil }
            let sent = ContinuousClock.now
            terminal.type("\r")
            let shown = try await probe.first(within: .seconds(10)) { $0.text.contains("Stopping task \(id) (") }
            samples.append((shown - sent).milliseconds)
            if let reply = replied.withLock({ $0 }) {
                toReply.append((reply - sent).milliseconds)
                fromReply.append((shown - reply).milliseconds)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return (Distribution(samples), Distribution(toReply), Distribution(fromReply))
    }

    /// A background task returns: from the instant its body returned (before the registry
    /// publishes its `finished` event, so the figure is an upper bound) to the first frame with
    /// its completion line.
    /// Also from the instant the registry published `finished` (stamped on the publisher's
    /// thread by a filter that takes nothing), which splits the registry's part from the app's.
    private func eventToScreen(registry: TaskRegistry, probe: FrameProbe, trials: Int) async throws -> (Distribution, fromPublish: Distribution) {
        var samples: [Double] = []
        var fromPublish: [Double] = []
        let published = Locked<[String: ContinuousClock.Instant]>([:])
        let watcher = registry.events.subscribe(where: { event in
            if case .task(.finished(let task)) = event, task.name.hasPrefix("finisher") {
                published.withLock { $0[task.name] = .now }
            }
            return false
        })
        defer { watcher.finish() }
        for index in 0..<trials {
            let gate = Gate()
            let returned = Locked<ContinuousClock.Instant?>(nil)
            let name = "finisher\(index)"
            _ = try await registry.start(.init(name: name, description: "returns when told", mode: .background)) { _ in
                try await gate.wait()
                returned.withLock { $0 = .now }
                return "done"
            }
            try await Task.sleep(for: .milliseconds(20))
            gate.open()
            let shown = try await probe.first(within: .seconds(10)) { $0.text.contains("\"\(name)\" completed") }
            guard let end = returned.withLock({ $0 }) else { throw LatencyError("\(name) shown before it returned") }
            samples.append((shown - end).milliseconds)
            if let publish = published.withLock({ $0[name] }) { fromPublish.append((shown - publish).milliseconds) }
            try await Task.sleep(for: .milliseconds(30))
        }
        return (Distribution(samples), Distribution(fromPublish))
    }
}

/// Waits for the first frame presented that meets a condition, and says when it was presented.
@MainActor
private final class FrameProbe {
    private var condition: ((Frame) -> Bool)?
    private var waiter: CheckedContinuation<Result<ContinuousClock.Instant, LatencyError>, Never>?

    func presented(_ frame: Frame, at instant: ContinuousClock.Instant) {
        guard let condition, condition(frame) else { return }
        resume(with: .success(instant))
    }

    /// The instant of the first frame, from now on, that meets `condition`; fails after `limit`.
    func first(within limit: Duration, _ condition: @escaping (Frame) -> Bool) async throws -> ContinuousClock.Instant {
        let timeout = Task { @MainActor [weak self] in
            do { try await Task.sleep(for: limit) } catch { return }
            self?.resume(with: .failure(LatencyError("no such frame within \(limit)")))
        }
        let result = await withCheckedContinuation { continuation in
            self.condition = condition
            self.waiter = continuation
        }
        timeout.cancel()
        await timeout.value
        return try result.get()
    }

    private func resume(with result: Result<ContinuousClock.Instant, LatencyError>) {
        let waiter = self.waiter
        self.waiter = nil
        condition = nil
        waiter?.resume(returning: result)
    }
}

/// `stream {lines}`: reports a progress line every 20 ms, `lines` times.
private struct StreamTool: Tool {
    let load: LoadCount
    let spec = ToolSpec(name: "stream", description: "benchmark load", parameters: ["type": "object"])
    var isConcurrencySafe: Bool { true }

    func run(_ arguments: JSONValue, context: ToolContext) async throws -> ToolOutput {
        let lines = try arguments.optionalInt("lines") ?? 1
        for index in 0..<lines {
            try await Task.sleep(for: .milliseconds(20))
            context.progress.report("line \(index) of the stream")
            load.add(1)
        }
        return ToolOutput("streamed \(lines) lines")
    }
}

/// Events the agents of the load produced: a turn's text and tool call, each progress line.
private final class LoadCount: Sendable {
    private let total = Locked(0)
    var count: Int { total.withLock { $0 } }
    func add(_ events: Int) { total.withLock { $0 += events } }
}

private struct LatencyError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
