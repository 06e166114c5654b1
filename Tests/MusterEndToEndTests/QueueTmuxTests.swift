import Foundation
import Testing

/// The queue past the cap in the full-screen UI, in tmux: the pill and the task dialog follow it
/// as it drains.
@Suite(
    "The background queue in tmux",
    .serialized,
    .enabled("needs tmux and the built binary (.build/debug/muster); run swift build first") { await TmuxDriver.isAvailable }
)
struct QueueTmuxTests {
    /// Four workers of 1.5 s each.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/queue.json")

    /// The dialog's row of task `id`.
    private static func row(_ id: Int, in screen: String) -> String? {
        TmuxDriver.line(containing: " #\(id) ", in: screen)
    }

    @Test("with cap 1 and queue 3, the pill counts the queue and the dialog shows queued 1st to 3rd, then both follow it as it drains in launch order", .timeLimit(.minutes(2)))
    func drains() async throws {
        let arguments = ["--script", Self.script.path, "--max-background-agents", "1", "--background-queue", "3"]
        try await TmuxDriver.withApp(arguments: arguments) { app in
            try await app.waitForScreen(containing: "/help for commands", timeout: .seconds(20))
            await app.submit("launch")
            try await app.waitForScreen(containing: "One runs, three wait.")
            await app.press("C-t")
            let full = try await app.waitForScreen("for the dialog to list the four tasks") { screen in
                (2...4).allSatisfy { Self.row($0, in: screen) != nil } && screen.contains("3 queued")
            }
            #expect(full.contains("● 1/1 agents · 3 queued"), "the pill counts the queue: \(full)")
            #expect(Self.row(1, in: full)?.contains("running") == true, "#1 runs: \(full)")
            for (id, place) in [(2, "1st"), (3, "2nd"), (4, "3rd")] {
                #expect(Self.row(id, in: full)?.contains("queued \(place)") == true, "#\(id) is queued \(place): \(full)")
            }

            // As each worker ends the next in line starts and the others move up.
            let drained = try await app.waitForScreen("for #2 to run and #3, #4 to move up") { screen in
                Self.row(2, in: screen)?.contains("running") == true && Self.row(4, in: screen)?.contains("queued 2nd") == true
            }
            #expect(Self.row(3, in: drained)?.contains("queued 1st") == true, "#3 is next: \(drained)")
            #expect(drained.contains("2 queued"), "the pill follows: \(drained)")
            let last = try await app.waitForScreen("for #4 to run, the queue empty") { screen in
                Self.row(4, in: screen)?.contains("running") == true && !screen.contains("queued")
            }
            #expect(Self.row(1, in: last)?.contains("completed") == true)
            let done = try await app.waitForScreen(containing: "Tasks (0 running · 4 done)", timeout: .seconds(20))
            #expect(!done.contains("queued"))
            await app.press("Escape")
        }
    }
}
