import Foundation
import MusterCore

/// Launches far past the cap into the queue: every launch gets an id at once, every queued task
/// runs to completion in turn, and the registry's work stays O(1) per operation (the last
/// thousand launches, with the queue long, cost what the first thousand did).
struct QueueBenchmark {
    let report: BenchmarkReport

    func run(launches: Int, cap: Int) async throws {
        let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: cap, keepFinished: 50, backgroundQueue: launches))
        let events = registry.events.subscribe(where: { if case .task(.finished) = $0 { true } else { false } })
        let clock = ContinuousClock()
        let chunk = max(1, launches / 10)
        var launchMarks: [ContinuousClock.Instant] = []
        let start = clock.now
        for index in 0..<launches {
            if index % chunk == 0 { launchMarks.append(clock.now) }
            let request = TaskRegistry.Request(name: "queued", description: "\(index)", mode: .background)
            _ = try await registry.start(request) { _ in "done" }
        }
        launchMarks.append(clock.now)
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
        // O(1): chunks of launches late in the run (the queue long) against the same chunks
        // early on; the bodies return at once, so tasks leave the queue meanwhile too.
        let launchRatio = ratio(of: launchMarks)
        report.add("queue", "launches: the last chunks of \(chunk) against the first (queue long vs short), median time ratio", launchRatio, unit: "×", target: "< 2", met: launchRatio < 2)
    }

    /// The median of the last three intervals between `marks` over that of the first three:
    /// a median, so that one preemption on a shared machine does not decide it.
    private func ratio(of marks: [ContinuousClock.Instant]) -> Double {
        let intervals = zip(marks.dropFirst(), marks).map { ($0 - $1).milliseconds }
        guard intervals.count >= 6 else { return 0 }
        let median = { (three: ArraySlice<Double>) in three.sorted()[1] }
        let first = median(intervals.prefix(3))
        return first > 0 ? median(intervals.suffix(3)) / first : 0
    }
}
