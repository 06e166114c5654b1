import Foundation
import MusterCore
import Synchronization
import Testing

/// The queue past the cap, in the real binary (plain mode, piped): shown in `/tasks` and the pill,
/// and drained in launch order.
@Suite("Background queue in the binary", .enabled(if: HeadlessProcess.binary != nil, "needs the built binary (.build/debug/muster)"))
struct QueueEndToEndTests {
    @Test("with cap 1 and queue 3, four launches show as running and queued 1st to 3rd, the pill counts the queue, and it drains in order", .timeLimit(.minutes(2)))
    func drains() async throws {
        let (release, open) = AsyncStream<Void>.makeStream()
        // The first worker to ask (#1, "first", as the launches keep the calls' order) holds its
        // slot until released.
        let held = Mutex(false)
        try await CountingOpenAIServer.with(respond: { request in
            guard request.agent == "main" else {
                if held.withLock({ wasHeld in defer { wasHeld = true }; return !wasHeld }) {
                    for await _ in release { break }
                }
                return .text("done \(request.latestUserText)")
            }
            guard request.hasToolResults else {
                return .toolCalls(["first", "second", "third", "fourth"].map { prompt in
                    ("agent", #"{"name": "worker", "prompt": "\#(prompt)", "background": true}"#)
                })
            }
            return .text("Noted.")
        }) { server in
            let scratch = try HeadlessProcess.makeScratch()
            defer { try? FileManager.default.removeItem(at: scratch) }
            let input = Pipe()
            var environment = server.environment
            environment["MUSTER_MAX_BACKGROUND_AGENTS"] = "1"
            environment["MUSTER_BACKGROUND_QUEUE"] = "3"
            let muster = try HeadlessProcess([], scratch: scratch, script: nil, environment: environment, input: input)
            defer { muster.stop() }
            input.fileHandleForWriting.write(Data("launch\n".utf8))
            try await muster.waitForOutput { $0.contains("[1/1 agents · 3 queued]") && $0.contains("Noted.") }

            input.fileHandleForWriting.write(Data("/tasks\n".utf8))
            try await muster.waitForOutput { $0.contains("queued 3rd") }
            let table = muster.standardOutput.split(separator: "\n").filter { $0.contains("worker") }.map(String.init)
            #expect(table.contains { $0.hasPrefix("#1 ") && $0.contains("running") })
            for (id, place) in [(2, "1st"), (3, "2nd"), (4, "3rd")] {
                #expect(table.contains { $0.hasPrefix("#\(id) ") && $0.contains("queued \(place)") }, "#\(id) is queued \(place)")
            }

            let mark = muster.standardOutput.utf8.count
            open.yield()
            try await muster.waitForOutput { $0.components(separatedBy: #"Background agent "worker" completed"#).count == 5 }
            let answered = server.requests(from: "worker").map(\.latestUserText)
            let output = String(decoding: muster.standardOutput.utf8.dropFirst(mark), as: UTF8.self)
            // Pill lines may be merged under load; the last one says the queue is empty.
            let pills = output.split(separator: "\n").filter { $0.hasPrefix("[") && $0.contains("agents") }
            #expect(pills.last.map { !$0.contains("queued") } == true, "pills after the release: \(pills)")
            try input.fileHandleForWriting.close()
            #expect(try await muster.waitForExit() == 0)

            // The four `agent` calls of one turn run at once but register in the order listed:
            // the log's task_started records say the launch order (the ids, the queue's order).
            let log = try HeadlessProcess.records(String(contentsOf: muster.sessionLog(), encoding: .utf8))
            let launched = log.compactMap { record -> String? in
                guard case .task(.started(let task)) = record.event, task.name == "worker" else { return nil }
                return task.description
            }
            #expect(launched == ["first", "second", "third", "fourth"])
            #expect(answered == launched, "started in launch order")
        }
    }
}
