import Foundation
import Testing

/// The task dialog in the real binary, in tmux at 120x40: open it, stop one agent, close it.
@Suite(
    "The task dialog in tmux",
    .serialized,
    .enabled("needs tmux and the built binary (.build/debug/muster); run swift build first") { await TmuxDriver.isAvailable }
)
struct TaskDialogTmuxTests {
    /// Agents that hold a shell ignoring SIGTERM: a stopped one stays `stopping` for the grace period.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/dialog.json")

    /// The dialog's row of task `id` (`◐ #2 beta  agent running …`).
    private static func row(_ id: Int, in screen: String) -> String? {
        TmuxDriver.line(containing: " #\(id) ", in: screen)
    }

    @Test("Ctrl-T shows three agents; ↓ x stops the second, whose row shows stopping then cancelled while the others run; Esc closes with the input intact")
    func stopTheSecondAgent() async throws {
        try await TmuxDriver.withApp(arguments: ["--script", Self.script.path]) { app in
            try await app.waitForScreen(containing: "/help for commands", timeout: .seconds(20))
            await app.submit("launch the agents")
            try await app.waitForScreen(containing: "All three are running.")
            // The panel (above the status line) shows each agent once it holds its shell.
            try await app.waitForScreen("for the panel to show the three agents holding their shells") { screen in
                ["alpha", "beta", "gamma"].allSatisfy { TmuxDriver.line(containing: "◐ \($0) · shell: trap", in: screen) != nil }
            }
            await app.type("words typed ahead")
            await app.press("C-t")
            let list = try await app.waitForScreen(containing: "Tasks (3 running · 0 done)")
            for id in 1...3 {
                #expect(Self.row(id, in: list)?.contains("running") == true, "#\(id) runs: \(list)")
            }
            #expect(list.contains("x stop"))

            await app.press("Down")
            await app.type("x")
            // Its shell ignores SIGTERM, so it stays stopping until the grace period ends.
            let stopping = try await app.waitForScreen("for #2's row to say stopping") { Self.row(2, in: $0)?.contains("stopping") == true }
            #expect(Self.row(1, in: stopping)?.contains("running") == true)
            #expect(Self.row(3, in: stopping)?.contains("running") == true)
            let cancelled = try await app.waitForScreen("for #2's row to say cancelled") { Self.row(2, in: $0)?.contains("cancelled") == true }
            #expect(cancelled.contains("Tasks (2 running · 1 done)"))
            #expect(Self.row(1, in: cancelled)?.contains("running") == true)
            #expect(Self.row(3, in: cancelled)?.contains("running") == true)
            #expect(cancelled.contains("● 2/10 agents"))

            await app.press("Escape")
            let closed = try await app.waitForScreen("for the dialog to close") { !$0.contains("Tasks (2 running") }
            #expect(closed.split(separator: "\n").last.map(String.init) == "› words typed ahead")
        }
    }

    /// One agent that runs `sleep 1` fifteen times until a message with "marco" comes.
    static let steerScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/steer.json")

    @Test("p pauses and r resumes a running agent from the dialog; m sends it a message, the receipt shows, and the agent reads it and answers")
    func pauseResumeAndMessage() async throws {
        try await TmuxDriver.withApp(arguments: ["--script", Self.steerScript.path]) { app in
            try await app.waitForScreen(containing: "/help for commands", timeout: .seconds(20))
            await app.submit("start the worker")
            try await app.waitForScreen(containing: "The worker runs.")
            await app.press("C-t")
            // Conditions waited for whole: a capture may catch a frame half drawn.
            try await app.waitForScreen("for the worker's row with its keys") { screen in
                Self.row(1, in: screen)?.contains("running") == true && screen.contains("p pause · m message · x stop")
                    && screen.contains("Tasks (1 running · 0 done)")
            }

            await app.type("p")
            try await app.waitForScreen("for the worker to be paused, in its row and the pill") { screen in
                Self.row(1, in: screen)?.contains("paused") == true && screen.contains("Paused task #1 (worker).") && screen.contains("· 1 paused")
            }
            await app.type("r")
            try await app.waitForScreen("for the worker to run again") { screen in
                Self.row(1, in: screen)?.contains("running") == true && screen.contains("Resumed task #1 (worker).")
            }

            await app.type("m")
            try await app.waitForScreen(containing: "Message for #1 worker ›")
            // Letters that are the dialog's keys elsewhere are the message's here.
            await app.type("marco, pause nothing")
            try await app.waitForScreen(containing: "Message for #1 worker › marco, pause nothing")
            await app.press("Enter")
            try await app.waitForScreen(containing: "Message queued for #1 (worker), 0 ahead.")
            // It reads the message before its next model call, answers it and ends.
            try await app.waitForScreen("for the worker to complete") { screen in
                Self.row(1, in: screen)?.contains("completed") == true && screen.contains("Tasks (0 running · 1 done)")
            }

            await app.press("Escape")
            let transcript = try await app.waitForScreen("for the transcript to show the message read and the answer") { screen in
                screen.contains("#1 worker read your message.") && screen.contains("Got worker: Heard marco, stopping.")
            }
            #expect(!transcript.contains("worker gave up"))
        }
    }
}
