import Foundation
import Testing

/// `!` commands and Ctrl+B in the full-screen front end, in tmux.
@Suite(
    "Background shells in tmux",
    .serialized,
    .enabled("needs tmux and the built binary (.build/debug/muster); run swift build first") { await TmuxDriver.isAvailable }
)
struct BackgroundShellTmuxTests {
    @Test("!sleep 30 runs in the foreground with Ctrl+B offered; Ctrl+B frees the prompt and /tasks lists it as a running shell task; /tasks stop ends it")
    func ctrlBMovesABangCommand() async throws {
        let tag = "30.\(Int.random(in: 100_000...999_999))"
        defer { for pid in HeadlessProcess.processes(containing: tag) { kill(pid, SIGKILL) } }
        try await TmuxDriver.withApp(arguments: [], environment: [:], afterExit: nil) { app in
            try await app.waitForScreen(containing: "/help for commands", timeout: .seconds(20))
            await app.submit("!echo begun; sleep \(tag)")
            try await app.waitForScreen(containing: "Ctrl+B background")
            try await app.waitForScreen(containing: "begun")
            await app.press("C-b")
            try await app.waitForScreen(containing: "to the background as task #1")
            // The prompt is free again: the turn ended.
            try await app.waitForScreen(containing: "/help for commands")
            #expect(!HeadlessProcess.processes(containing: tag).isEmpty, "the command still runs")
            try await app.waitForScreen(containing: "1 shell")
            // `/tasks` opens the task dialog: its row for the shell, then Esc closes it.
            await app.submit("/tasks")
            try await app.waitForScreen("for the shell task's row") { screen in
                TmuxDriver.line(containing: "#1 ", in: screen).map { $0.contains("shell") && $0.contains("running") } ?? false
            }
            await app.press("Escape")
            try await app.waitForScreen("for the task dialog to close") { !$0.contains("Tasks (1 running") }
            await app.submit("/tasks stop 1")
            try await app.waitForScreen(containing: "was cancelled (task #1")
            #expect(HeadlessProcess.processes(containing: tag).isEmpty)
        }
    }

    @Test("!sleep 30 & lists a shell task at once")
    func ampersandStartsAShellTask() async throws {
        let tag = "30.\(Int.random(in: 100_000...999_999))"
        defer { for pid in HeadlessProcess.processes(containing: tag) { kill(pid, SIGKILL) } }
        try await TmuxDriver.withApp(arguments: [], environment: [:], afterExit: nil) { app in
            try await app.waitForScreen(containing: "/help for commands", timeout: .seconds(20))
            await app.submit("!sleep \(tag) &")
            try await app.waitForScreen(containing: "started in the background (task #1)")
            await app.submit("/tasks")
            try await app.waitForScreen("for the shell task's row") { screen in
                TmuxDriver.line(containing: "#1 ", in: screen).map { $0.contains("shell") } ?? false
            }
            await app.press("Escape")
            try await app.waitForScreen("for the task dialog to close") { !$0.contains("Tasks (1 running") }
            await app.submit("/tasks stop 1")
            try await app.waitForScreen(containing: "was cancelled (task #1")
            #expect(HeadlessProcess.processes(containing: tag).isEmpty)
        }
    }
}

/// Ctrl+B on the main agent's own `shell` call, in tmux.
@Suite(
    "Main agent's shell call and Ctrl+B in tmux",
    .serialized,
    .enabled("needs tmux and the built binary (.build/debug/muster); run swift build first") { await TmuxDriver.isAvailable }
)
struct MainShellCallTmuxTests {
    @Test("The main agent's running shell call offers Ctrl+B; Ctrl+B answers the call at once, /tasks lists it as a running shell task, its result comes back once it is stopped, and no process is left")
    func ctrlBMovesTheMainAgentsShellCall() async throws {
        let tag = "30.\(Int.random(in: 100_000...999_999))"
        defer { for pid in HeadlessProcess.processes(containing: tag) { kill(pid, SIGKILL) } }
        try await TmuxDriver.withApp(arguments: [], environment: [:], afterExit: nil) { app in
            try await app.waitForScreen(containing: "/help for commands", timeout: .seconds(20))
            await app.submit(": fg; echo begun; setsid -f sleep \(tag)1; sleep \(tag)2")
            try await app.waitForScreen(containing: "begun")
            try await app.waitForScreen(containing: "Ctrl+B background")
            await app.press("C-b")
            try await app.waitForScreen(containing: "to the background as task #1")
            // The call answered at once and the agent went on: its next turn quotes the answer.
            try await app.waitForScreen(containing: "The call answered: Moved to the background as task #1")
            try await app.waitForScreen(containing: "/help for commands")
            // The shell (its command line names both), its sleep, and the sleep it detached with setsid.
            #expect(HeadlessProcess.processes(containing: tag).count == 3, "the command and its setsid grandchild still run")
            try await app.waitForScreen(containing: "1 shell")
            await app.submit("/tasks")
            try await app.waitForScreen("for the shell task's row") { screen in
                TmuxDriver.line(containing: "#1 ", in: screen).map { $0.contains("shell") && $0.contains("running") } ?? false
            }
            await app.press("Escape")
            try await app.waitForScreen("for the task dialog to close") { !$0.contains("Tasks (1 running") }
            await app.submit("/tasks stop 1")
            try await app.waitForScreen(containing: "was cancelled (task #1")
            #expect(HeadlessProcess.processes(containing: tag).isEmpty)
        }
    }
}
