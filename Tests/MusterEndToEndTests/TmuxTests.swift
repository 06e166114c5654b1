import Foundation
import Testing

/// The real binary in tmux at 120x40: what a person sees and does.
@Suite(
    "The interactive front end in tmux",
    .serialized,
    .enabled("needs tmux and the built binary (.build/debug/muster); run swift build first") { await TmuxDriver.isAvailable }
)
struct TmuxTests {
    /// Starts the app, waits for the first frame, runs `body`, and always kills the server.
    private func withApp(
        arguments: [String] = [], environment: [String: String] = [:], afterExit: String? = nil,
        _ body: (TmuxDriver) async throws -> Void
    ) async throws {
        try await TmuxDriver.withApp(arguments: arguments, environment: environment, afterExit: afterExit) { app in
            try await app.waitForScreen(containing: "/help for commands", timeout: .seconds(20))
            try await body(app)
        }
    }

    private func launchThree(_ app: TmuxDriver) async throws {
        await app.submit("launch the agents")
        // Only the end state: the 1/10 and 2/10 frames last 600 ms each, which a screen poll on a
        // loaded machine missed (every step is asserted in PillState's unit tests and in plain mode).
        try await app.waitForScreen(containing: "● 3/10 agents")
        try await app.waitForScreen(containing: "All three are running.")
    }

    @Test("the pill starts at 0 of 10 and counts the agents as they launch")
    func pillCountsUp() async throws {
        try await withApp { app in
            #expect(await app.screen().contains("○ 0/10 agents"))
            try await launchThree(app)
        }
    }

    @Test("/tasks opens the live task list with the running agents and their status")
    func tasksTable() async throws {
        try await withApp { app in
            try await launchThree(app)
            await app.submit("/tasks")
            let screen = try await app.waitForScreen(containing: "#3 gamma")
            #expect(screen.contains("Tasks (3 running · 0 done)"))
            for (id, name) in [(1, "alpha"), (2, "beta"), (3, "gamma")] {
                let row = try #require(TmuxDriver.line(containing: "#\(id) \(name)", in: screen))
                #expect(row.contains("agent running"))
            }
        }
    }

    @Test("/tasks stop stops one agent, says so, and the pill counts down")
    func stopOne() async throws {
        try await withApp { app in
            try await launchThree(app)
            await app.submit("/tasks stop 2")
            try await app.waitForScreen(containing: "Stopping task #2 (beta)…")
            try await app.waitForScreen(containing: "Background agent \"beta\" was cancelled (task #2, ")
            try await app.waitForScreen(containing: "● 2/10 agents")
            await app.submit("/cancel #2")
            try await app.waitForScreen(containing: "Task #2 already cancelled.")
            await app.submit("/tasks stop 99")
            try await app.waitForScreen(containing: "No task #99.")
            await app.submit("/tasks stop")
            try await app.waitForScreen(containing: "Usage: /tasks stop <id>")
        }
    }

    @Test("with a cap of 1 the second launch is refused in so many words while the first keeps running")
    func capRefusal() async throws {
        try await withApp(environment: ["MUSTER_MAX_BACKGROUND_AGENTS": "1"]) { app in
            try await app.waitForScreen(containing: "○ 0/1 agents")
            await app.submit("launch the agents")
            try await app.waitForScreen(
                containing: "Cannot start background agent: maximum concurrent background agents (1) reached. Stop an existing agent first."
            )
            try await app.waitForScreen(containing: "All three are running.")
            #expect(await app.screen().contains("● 1/1 agents"))
            await app.submit("/tasks")
            let screen = try await app.waitForScreen(containing: "#1 alpha")
            #expect(TmuxDriver.line(containing: "#1 alpha", in: screen)?.contains("running") == true)
            #expect(await app.screen().contains("● 1/1 agents"))
        }
    }

    @Test("a confirmation takes a whole line: no⏎ and yes⏎ answer it and nothing typed there reaches the agent")
    func confirmationTakesALine() async throws {
        try await withApp { app in
            try await launchThree(app)
            await app.submit("/cancel all")
            try await app.waitForScreen(containing: "Cancel 3 running tasks? (y/n)")
            await app.submit("maybe")
            try await app.waitForScreen(containing: "Answer y or n")
            await app.submit("no")
            try await app.waitForScreen(containing: "Nothing was cancelled.")
            await app.submit("/cancel all")
            try await app.waitForScreen("to ask again in the input line") { screen in
                screen.split(separator: "\n").last?.hasPrefix("Cancel 3 running tasks? (y/n)") == true
            }
            await app.submit("yes")
            try await app.waitForScreen(containing: "Stopping 3 tasks: #1 alpha, #2 beta, #3 gamma…")
            try await app.waitForScreen(containing: "○ 0/10 agents")
            // A command after the answers: once its output shows, anything sent earlier would have been answered.
            await app.submit("/help")
            let screen = try await app.waitForScreen(containing: "/tasks stop <id>")
            #expect(!screen.contains("Okay:"))
            #expect(!screen.contains("› es"))
            #expect(!screen.contains("› o"))
            #expect(!screen.contains("› maybe"))
        }
    }

    @Test("a resize redraws the whole screen at the new size")
    func resize() async throws {
        try await withApp { app in
            try await launchThree(app)
            await app.resize(width: 70, height: 20)
            let narrow = try await app.waitForScreen("to show the status line at 70 columns") { screen in
                guard let status = TmuxDriver.line(containing: "3/10 agents", in: screen) else { return false }
                return status.count == 70 && status.hasSuffix("─")
            }
            var lines = narrow.split(separator: "\n", omittingEmptySubsequences: false)
            while lines.last?.isEmpty == true { lines.removeLast() }
            #expect(lines.count <= 20)
            #expect(lines.allSatisfy { $0.count <= 70 })
            #expect(lines.last?.hasPrefix("›") == true)
            await app.resize(width: 120, height: 40)
            try await app.waitForScreen("to show the status line at 120 columns") { screen in
                TmuxDriver.line(containing: "3/10 agents", in: screen)?.count == 120
            }
        }
    }

    @Test("Ctrl-C cancels the foreground turn only: background agents keep running")
    func interruptTurnOnly() async throws {
        try await withApp { app in
            try await launchThree(app)
            await app.submit("slow please")
            try await app.waitForScreen(containing: "Esc interrupts")
            try await app.waitForScreen(containing: "Thinking")
            await app.press("C-c")
            try await app.waitForScreen(containing: "Turn interrupted. 3 background agents keep running (see /tasks).")
            #expect(await app.screen().contains("● 3/10 agents"))
            #expect(await app.screen().contains("/help for commands"))
            await app.submit("/tasks")
            let screen = try await app.waitForScreen(containing: "#3 gamma")
            #expect(TmuxDriver.line(containing: "#3 gamma", in: screen)?.contains("running") == true)
        }
    }

    @Test("input typed while the agent streams waits as queued, can be taken back with Up, and goes after the turn")
    func queuedInput() async throws {
        try await withApp { app in
            await app.submit("slow please")
            try await app.waitForScreen(containing: "Thinking")
            await app.submit("first question")
            try await app.waitForScreen(containing: "› first question  · queued")
            await app.press("Up")
            try await app.waitForScreen("to bring the queued line back into the input") { screen in
                screen.split(separator: "\n").last == "› first question" && !screen.contains("· queued")
            }
            await app.type(" again")
            await app.press("Enter")
            try await app.waitForScreen(containing: "› first question again  · queued")
            // The streamed answer goes on under nothing the person typed.
            let streaming = await app.screen()
            #expect(!streaming.contains("Okay:"))
            #expect(TmuxDriver.line(containing: "Thinking", in: streaming)?.hasPrefix("Thinking") == true)
            await app.press("C-c")
            let screen = try await app.waitForScreen(containing: "Okay: first question again")
            let lines = screen.split(separator: "\n").map(String.init)
            let interrupted = try #require(lines.firstIndex { $0.hasPrefix("Turn interrupted.") })
            let echo = try #require(lines.firstIndex(of: "› first question again"))
            #expect(interrupted < echo)
            #expect(!screen.contains("· queued"))
        }
    }

    @Test("commands typed ahead run in order with their output in that order: /clear does not wipe the /tasks show after it")
    func commandsTypedAhead() async throws {
        try await withApp { app in
            try await launchThree(app)
            // One write: both lines reach the app together, before the first has run.
            await app.type("/clear\r/tasks show 3\r")
            let screen = try await app.waitForScreen(containing: "Task #3 · gamma")
            let lines = screen.split(separator: "\n").map(String.init)
            let echo = try #require(lines.firstIndex(of: "› /tasks show 3"))
            let header = try #require(lines.firstIndex { $0.hasPrefix("Task #3 · gamma") })
            #expect(echo < header)
            #expect(!screen.contains("All three are running."))
        }
    }

    @Test("Esc cancels the foreground turn too")
    func escapeInterrupts() async throws {
        try await withApp { app in
            await app.submit("slow please")
            try await app.waitForScreen(containing: "Thinking")
            await app.press("Escape")
            try await app.waitForScreen(containing: "Turn interrupted.")
        }
    }

    @Test("/quit cancels the agents, restores the terminal, prints one summary line and exits 0")
    func quitRestoresTerminal() async throws {
        try await withApp(afterExit: "stty -a | tr ' ;' '\\n\\n' | grep -E '^-?(icanon|echo)$' | tr '\\n' ' '") { app in
            #expect(await app.paneValue("#{alternate_on}") == "1")
            try await launchThree(app)
            await app.submit("/quit")
            try await app.waitForScreen(containing: "3 background agents are running. Stop them and quit? (y/n)")
            await app.submit("y")
            let screen = try await app.waitForScreen(containing: "[exit 0]")
            #expect(screen.contains("3 background agents were cancelled at exit."))
            #expect(!screen.contains("/help for commands"))
            // The conversation stays on the normal screen, then the summary names the session and its log.
            let lines = screen.split(separator: "\n").map(String.init)
            let answer = try #require(lines.firstIndex(of: "All three are running."))
            let summary = try #require(lines.firstIndex { $0.hasPrefix("3 background agents were cancelled at exit. Session ") })
            #expect(answer < summary)
            // The path may wrap at the pane's edge: the summary runs up to the wrapper's `[exit 0]`.
            let exitLine = try #require(lines.firstIndex(of: "[exit 0]"))
            let tail = try #require(lines[summary..<exitLine].joined().components(separatedBy: " · log: ").last)
            let parts = tail.components(separatedBy: " · resume: ")
            let logPath = parts[0]
            #expect(parts.count == 2 && parts[1].hasPrefix("muster --resume "))
            #expect(logPath.hasSuffix(".jsonl"))
            #expect(FileManager.default.fileExists(atPath: logPath))
            #expect(await app.paneValue("#{alternate_on}") == "0")
            try await app.waitForScreen(containing: "icanon echo")
            // The session log recorded the slash commands and how the session ended.
            let log = try #require(app.sessionLog())
            #expect(log.contains("\"slash_command\""))
            #expect(log.contains("\"/quit\""))
            #expect(log.contains("\"session_end\""))
            #expect(log.contains("\"quit\""))
            // The input history went to libedit's file in the XDG state folder.
            let history = try String(contentsOf: app.scratch.appendingPathComponent("state/muster/history"), encoding: .utf8)
            #expect(history.hasPrefix("_HiStOrY_V2_"))
            #expect(history.contains("/quit"))
        }
    }

    @Test("/quit and Ctrl-D ask while background agents run: no keeps them running, yes stops them and exits 0")
    func quitAsksWhileAgentsRun() async throws {
        try await withApp { app in
            try await launchThree(app)
            await app.submit("/quit")
            try await app.waitForScreen(containing: "3 background agents are running. Stop them and quit? (y/n)")
            await app.submit("n")
            try await app.waitForScreen(containing: "Nothing was stopped; Muster keeps running.")
            #expect(await app.screen().contains("● 3/10 agents"))
            await app.press("C-d")
            try await app.waitForScreen("to ask again in the input line") { screen in
                screen.split(separator: "\n").last?.hasPrefix("3 background agents are running. Stop them and quit? (y/n)") == true
            }
            await app.submit("yes")
            let screen = try await app.waitForScreen(containing: "[exit 0]")
            #expect(screen.contains("3 background agents were cancelled at exit."))
        }
    }

    @Test("Ctrl-C twice exits at once although background agents run")
    func doubleInterruptDoesNotAsk() async throws {
        try await withApp { app in
            try await launchThree(app)
            await app.press("C-c")
            try await app.waitForScreen(containing: "Press Ctrl-C again to quit")
            await app.press("C-c")
            let screen = try await app.waitForScreen(containing: "[exit 130]")
            #expect(screen.contains("3 background agents were cancelled at exit."))
        }
    }

    @Test("Ctrl-C twice at an idle prompt exits with 130")
    func doubleInterruptExits() async throws {
        try await withApp { app in
            await app.press("C-c")
            try await app.waitForScreen(containing: "Press Ctrl-C again to quit")
            await app.press("C-c")
            let screen = try await app.waitForScreen(containing: "[exit 130]")
            #expect(screen.contains("No background agents were running at exit."))
        }
    }

    @Test("SIGTERM cancels the agents and exits with 143")
    func terminate() async throws {
        try await withApp { app in
            try await launchThree(app)
            let pid = try #require(await app.appPID())
            kill(pid, SIGTERM)
            let screen = try await app.waitForScreen(containing: "[exit 143]")
            #expect(screen.contains("3 background agents were cancelled at exit."))
        }
    }

    @Test("an escape sequence in tool output is shown inert")
    func inertOutput() async throws {
        try await withApp { app in
            await app.submit("escape please")
            let screen = try await app.waitForScreen(containing: "Printed.")
            #expect(screen.contains("before ^[[2J^[[31mred^[[0m ^Gafter"))
            #expect(screen.contains("Muster ·"))
        }
    }

    @Test("a background agent's shell shows in /tasks ACTIVITY, its output in /tasks show, and its completion line carries tokens and tools")
    func watchABackgroundShell() async throws {
        try await withApp { app in
            await app.submit("watch the shell")
            try await app.waitForScreen(containing: "The watcher is running.")
            // The agent's second command waits for a file the test writes once it has looked.
            await app.submit("/tasks")
            try await app.waitForScreen("for the watcher's row to show its waiting shell") { screen in
                TmuxDriver.line(containing: "#1 watcher", in: screen)?.contains("shell: until [ -e release ]") == true
            }
            await app.press("Escape")
            try await app.waitForScreen("for the task dialog to close") { !$0.contains("Tasks (1 running") }
            await app.submit("/tasks show 1")
            let shown = try await app.waitForScreen(containing: "watched-line-two")
            #expect(shown.contains("watched-line-one"))
            #expect(shown.contains("echo watched-line-one; echo watched-line-two"))
            try "".write(to: app.scratch.appendingPathComponent("workspace/release"), atomically: true, encoding: .utf8)
            let done = try await app.waitForScreen("for the completion line with tokens and tools") { screen in
                guard let line = TmuxDriver.line(containing: "Background agent \"watcher\" completed (task #1, ", in: screen) else { return false }
                return line.range(of: #" · ~?[0-9.]+k? tokens · 2 tools\)"#, options: .regularExpression) != nil
            }
            #expect(done.contains("○ 0/10 agents"))
        }
    }

    @Test("an unknown command gets a suggestion and Tab completes command names")
    func commandsAndCompletion() async throws {
        try await withApp { app in
            await app.submit("/taks")
            try await app.waitForScreen(containing: "Unknown command /taks — try /help (did you mean /tasks?)")
            await app.type("/he")
            await app.press("Tab")
            // capture-pane strips the trailing space Tab added.
            try await app.waitForScreen("to show the completed command") { screen in
                screen.split(separator: "\n").last == "› /help"
            }
            await app.press("Enter")
            try await app.waitForScreen(containing: "/tasks stop <id>")
        }
    }

    @Test("the mouse wheel scrolls the transcript up and back down, and leaves the input alone")
    func mouseWheel() async throws {
        try await withApp { app in
            for _ in 1...5 { await app.submit("/help") }
            // Replies come as events: wait for the last command's reply, so none arrives after the wheel.
            await app.submit("/tasks show 999")
            try await app.waitForScreen("to fill the transcript past the greeting") { !$0.contains("Muster ·") && $0.contains("No task #999.") }
            // What the terminal sends for one notch: X10 mouse encoding, button 64 (up) or 65 (down) plus 32.
            await app.type("\u{1B}[M`**")
            try await app.waitForScreen(containing: "scrolled up · PgDn")
            #expect(await app.screen().split(separator: "\n").last == "›")
            for _ in 1...30 { await app.type("\u{1B}[Ma**") }
            try await app.waitForScreen(containing: "/help for commands")
            #expect(await app.screen().split(separator: "\n").last == "›")
        }
    }

    @Test("Tab after /tasks stop completes the ids of running tasks")
    func completesTaskIDs() async throws {
        try await withApp { app in
            try await launchThree(app)
            await app.type("/tasks stop ")
            await app.press("Tab")
            try await app.waitForScreen(containing: "#1  #2  #3")
            await app.type("3")
            await app.press("Tab")
            await app.press("Enter")
            try await app.waitForScreen(containing: "Stopping task #3 (gamma)…")
        }
    }

    @Test("a hangup (the pane is closed) ends the app and its tasks")
    func hangup() async throws {
        try await withApp { app in
            try await launchThree(app)
            let pid = try #require(await app.appPID())
            await app.closePane()
            try await TmuxDriver.waitUntilGone(pid, timeout: .seconds(10))
        }
    }

    @Test("quitting while a shell command runs leaves no child process behind")
    func noChildSurvives() async throws {
        try await withApp { app in
            await app.submit("sleepy")
            try await app.waitForScreen(containing: "→ shell")
            let pid = try #require(await app.appPID())
            let children = try await TmuxDriver.waitForDescendants(of: pid, timeout: .seconds(10))
            await app.submit("/quit")
            try await app.waitForScreen(containing: "[exit 0]")
            for child in children {
                try await TmuxDriver.waitUntilGone(child, timeout: .seconds(5))
            }
        }
    }

    @Test("a pasted text of several lines waits in the input as one message; Enter sends it whole")
    func bracketedPaste() async throws {
        try await withApp { app in
            await app.paste("first line\nsecond line\n")
            try await app.waitForScreen(containing: "› first line↵second line↵")
            #expect(await !app.screen().contains("Okay:"))
            await app.press("Enter")
            let screen = try await app.waitForScreen(containing: "Okay: first line")
            #expect(screen.contains("› first line"))
            #expect(screen.contains("  second line"))
        }
    }

    @Test("Ctrl-Z suspends to the shell with the terminal given back, paste mode off; fg redraws and agents go on")
    func suspendAndResume() async throws {
        try await TmuxDriver.withApp(jobControlShell: true) { app in
            try await app.waitForScreen(containing: "/help for commands", timeout: .seconds(20))
            try await launchThree(app)
            let pid = try #require(await app.appPIDUnderShell())

            await app.press("C-z")
            try await app.waitForScreen(containing: "Stopped")
            #expect(await app.paneValue("#{alternate_on}") == "0")
            #expect(TmuxDriver.state(of: pid) == "T")
            // Bracketed paste is off while the shell has the terminal: a paste there is plain text.
            await app.paste("pasted-in-shell")
            let shell = try await app.waitForScreen(containing: "pasted-in-shell")
            #expect(!shell.contains("200~"))
            await app.press("C-u")

            await app.submit("fg")
            try await app.waitForScreen(containing: "● 3/10 agents")
            #expect(await app.paneValue("#{alternate_on}") == "1")
            #expect(TmuxDriver.state(of: pid) != "T")
            // And on again once Muster has it back.
            await app.paste("one\ntwo")
            try await app.waitForScreen(containing: "› one↵two")
            await app.press("C-u")
            await app.submit("/tasks")
            let screen = try await app.waitForScreen(containing: "#3 gamma")
            let row = try #require(TmuxDriver.line(containing: "#3 gamma", in: screen))
            #expect(row.contains("agent running"))
            await app.press("Escape")
            try await app.waitForScreen("for the task dialog to close") { !$0.contains("Tasks (3 running") }
            await app.submit("/quit")
            try await app.waitForScreen(containing: "Stop them and quit? (y/n)")
            await app.submit("y")
            try await TmuxDriver.waitUntilGone(pid, timeout: .seconds(10))
        }
    }

    @Test("even a crash gives the terminal back: normal screen, canonical mode and echo")
    func crashRestoresTerminal() async throws {
        // The Swift backtracer would wait for a key after a crash; the test wants the bare signal.
        try await withApp(
            environment: ["SWIFT_BACKTRACE": "enable=no"],
            afterExit: "stty -a | tr ' ;' '\\n\\n' | grep -E '^-?(icanon|echo)$' | tr '\\n' ' '"
        ) { app in
            #expect(await app.paneValue("#{alternate_on}") == "1")
            let pid = try #require(await app.appPID())
            kill(pid, SIGSEGV)
            try await app.waitForScreen(containing: "[exit 139]")
            #expect(await app.paneValue("#{alternate_on}") == "0")
            try await app.waitForScreen(containing: "icanon echo")
        }
    }
}
