import Foundation
import Testing

/// The real binary in plain mode, fed from a pipe: the same commands and messages, the pill as lines.
@Suite("Plain mode with piped input", .enabled(if: TmuxDriver.binary != nil, "needs the built binary (.build/debug/muster)"))
struct PlainModeTests {
    /// Runs the binary with `input` on stdin (bounded by coreutils `timeout`); returns status and output.
    private func run(input: String, environment: [String: String] = [:]) async throws -> (status: Int32, output: String) {
        let binary = try #require(TmuxDriver.binary)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("muster-plain-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let inputFile = folder.appendingPathComponent("input.txt")
        try input.write(to: inputFile, atomically: true, encoding: .utf8)
        let variables = ["XDG_STATE_HOME=\(folder.path)/state", "HOME=\(folder.path)", "LANG=C.UTF-8"]
            + environment.map { "\($0.key)=\($0.value)" }
        let command = "cd \(folder.path) && env \(variables.joined(separator: " ")) timeout 30 '\(binary.path)' --script '\(TmuxDriver.script.path)' < input.txt"
        return await TmuxDriver.run(["sh", "-c", command])
    }

    @Test("a piped session runs the turn, prints the pill as it changes, answers commands, and exits 0 at end of input")
    func pipedSession() async throws {
        let (status, output) = try await run(input: "launch the agents\n/taks\n/tasks stop 42\n")
        #expect(status == 0)
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.contains("› launch the agents"))
        #expect(lines.contains("Unknown command /taks — try /help (did you mean /tasks?)"))
        #expect(lines.contains("No task #42."))
        let pills = lines.filter { $0.hasPrefix("[") && $0.hasSuffix("agents]") }
        #expect(pills.prefix(3) == ["[1/10 agents]", "[2/10 agents]", "[3/10 agents]"])
        #expect(lines.contains("All three are running."))
        // The summary, then the session and how to resume it.
        #expect(lines.dropLast().last == "3 background agents were cancelled at exit.")
        #expect(lines.last?.hasPrefix("Session ") == true && lines.last?.contains(" · resume: muster --resume ") == true)
    }

    @Test("the cap refusal reads the same in plain mode")
    func capRefusal() async throws {
        let (status, output) = try await run(input: "launch\n", environment: ["MUSTER_MAX_BACKGROUND_AGENTS": "1"])
        #expect(status == 0)
        #expect(output.contains("Cannot start background agent: maximum concurrent background agents (1) reached. Stop an existing agent first."))
        #expect(output.contains("[1/1 agents]"))
        #expect(output.contains("\n1 background agent was cancelled at exit.\nSession "))
    }

    @Test("a 10 MB input line is refused with its size and the limit, and the next line is read whole")
    func overLongLine() async throws {
        let (status, output) = try await run(input: String(repeating: "a", count: 10_000_000) + "\n/tasks\n")
        #expect(status == 0)
        #expect(output.contains("That line (10000000 bytes) was not sent: a line may hold at most 1 MiB."))
        #expect(output.contains("No tasks yet."))
        #expect(!output.contains("aaaaaaaaaa"), "nothing of the line reaches the agent or the screen")
    }

    @Test("an invalid cap is reported once at start, naming the value and the default")
    func invalidCap() async throws {
        let (_, output) = try await run(input: "", environment: ["MUSTER_MAX_BACKGROUND_AGENTS": "lots"])
        #expect(output.components(separatedBy: "MUSTER_MAX_BACKGROUND_AGENTS").count == 2)
        #expect(output.contains("\"lots\""))
        #expect(output.contains("\nNo background agents were running at exit.\nSession "))
    }
}

/// Plain mode on a terminal (`--plain` in tmux): libedit's prompt shares the screen with output.
@Suite(
    "Plain mode on a terminal",
    .serialized,
    .enabled("needs tmux and the built binary (.build/debug/muster)") { await TmuxDriver.isAvailable }
)
struct PlainTerminalTests {
    @Test("output that arrives while a line is half typed goes above the prompt, and the prompt comes back with the typed text")
    func outputGoesAbovePrompt() async throws {
        try await TmuxDriver.withApp(arguments: ["--plain"]) { app in
            try await app.waitForScreen(containing: "/help lists commands", timeout: .seconds(20))
            await app.submit("launch the agents")
            try await app.waitForScreen(containing: "Launching alpha.")
            await app.type("half typed")
            let screen = try await app.waitForScreen(containing: "All three are running.")
            let lines = screen.split(separator: "\n").map(String.init)
            #expect(lines.last == "> half typed")
            #expect(lines.contains("[3/10 agents]"))
            #expect(!lines.dropLast().contains { $0.contains("half typed") })
            // The typed text is still the line being edited: Enter sends it whole.
            await app.press("Enter")
            try await app.waitForScreen(containing: "Okay: half typed")
            // Tab offers the running tasks' ids, as in the full-screen UI.
            await app.type("/tasks stop ")
            await app.press("Tab")
            try await app.waitForScreen(containing: "#1  #2  #3")
            await app.type("2")
            await app.press("Tab")
            try await app.waitForScreen("to complete the id") { $0.split(separator: "\n").last == "> /tasks stop 2" }
        }
    }

    @Test("Tab completes command names and subcommands as in the full-screen UI")
    func tabCompletes() async throws {
        try await TmuxDriver.withApp(arguments: ["--plain"]) { app in
            try await app.waitForScreen(containing: "/help lists commands", timeout: .seconds(20))
            await app.type("/ta")
            await app.press("Tab")
            try await app.waitForScreen("to complete /tasks") { $0.split(separator: "\n").last == "> /tasks" }
            await app.type("s")
            await app.press("Tab")
            try await app.waitForScreen(containing: "/tasks show  /tasks stop")
            await app.type("h")
            await app.press("Tab")
            try await app.waitForScreen("to complete /tasks show") { $0.split(separator: "\n").last == "> /tasks show" }
            await app.press("C-u")
            await app.type("/c")
            await app.press("Tab")
            try await app.waitForScreen(containing: "/cancel  /clear")
            await app.press("C-u")
            await app.submit("/quit")
            let screen = try await app.waitForScreen(containing: "[exit 0]")
            #expect(screen.split(separator: "\n").contains("No background agents were running at exit."))
        }
    }
}
