import Foundation
import MusterCore

/// Launches far past the cap into the queue: every launch gets an id at once, every queued task
/// runs to completion in turn, and the registry's work stays O(1) per operation.
struct QueueBenchmark {
    let report: BenchmarkReport

    func run(launches: Int, cap: Int) async throws {
        let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: cap, keepFinished: 50, backgroundQueue: launches))
        let events = registry.events.subscribe(where: { if case .task(.finished) = $0 { true } else { false } })
        let clock = ContinuousClock()
        let start = clock.now
        for index in 0..<launches {
            let request = TaskRegistry.Request(name: "queued", description: "\(index)", mode: .background)
            _ = try await registry.start(request) { _ in "done" }
        }
        let launched = clock.now - start
        var finished = 0
        for await _ in events {
            finished += 1
            if finished == launches { break }
        }
        let total = clock.now - start
        let queuedAtEnd = await registry.queuedBackgroundAgents
        report.add("queue", "\(launches) launches against cap \(cap), queue \(launches): all ids returned", launched.milliseconds, unit: "ms")
        report.add(
            "queue", "the same, until all \(finished) ran to completion", total.milliseconds, unit: "ms",
            target: "< 1 s", met: total < .seconds(1) && finished == launches && queuedAtEnd == 0
        )
    }
}
