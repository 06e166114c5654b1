import Foundation
import MusterCore
import Testing

/// Approvals in the real binary, in tmux, in the default mode (ask).
@Suite(
    "Approvals in tmux",
    .serialized,
    .enabled("needs tmux and the built binary (.build/debug/muster); run swift build first") { await TmuxDriver.isAvailable }
)
struct ApprovalTmuxTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/approvals.json")

    /// The asker's task id, as its launch line on `screen` gives it.
    static func askerID(on screen: String) throws -> Int {
        let match = try #require(screen.firstMatch(of: #/agent "asker" started in the background \(task #(\d+)\)/#))
        return try #require(Int(match.1))
    }

    @Test("A background agent asks: the pill shows it, the other agent keeps running, y in the dialog approves; a denial's reason reaches the model")
    func backgroundApproval() async throws {
        try await TmuxDriver.withApp(arguments: ["--script", Self.script.path, "--permission-mode", "ask"]) { app in
            try await app.waitForScreen(containing: "/help for commands", timeout: .seconds(20))
            await app.submit("launch")
            let asked = try await app.waitForScreen(containing: "⚠ 1 needs you")
            // The two agents start at once: which gets which id is the scheduler's choice.
            let id = try Self.askerID(on: asked)
            #expect(asked.contains("#\(id) asker asks to run a shell command:"))
            #expect(asked.contains("$ touch approved.txt && echo touched"))
            // The ticker finishes while the asker waits: nothing else is blocked.
            try await app.waitForScreen(containing: "Result of ticker: ticker done ticking")
            #expect(!FileManager.default.fileExists(atPath: app.scratch.appendingPathComponent("workspace").appendingPathComponent("approved.txt").path))

            await app.press("C-t")
            // The title counts the asker; it is listed first, selected, and the keys say y/n.
            // (Waited for whole: a capture may catch a frame half drawn.)
            try await app.waitForScreen("for the asker listed first with y/n offered") { screen in
                let rows = screen.split(separator: "\n")
                guard let title = rows.firstIndex(where: { $0.contains("Tasks (⚠ 1 needs you · 1 running") }), title + 1 < rows.count else { return false }
                return rows[title + 1].contains(" #\(id) asker ") && screen.contains("y approve · n deny")
            }
            await app.type("y")
            try await app.waitForScreen(containing: "Approved once for #\(id)")
            await app.press("Escape")
            try await app.waitForScreen(containing: "$ rm notes.txt && echo removed")
            #expect(FileManager.default.fileExists(atPath: app.scratch.appendingPathComponent("workspace").appendingPathComponent("approved.txt").path))

            await app.submit("/tasks deny \(id) keep the notes")
            let denied = try await app.waitForScreen(containing: "asker heard: Error: The person denied this call: keep the notes")
            #expect(!denied.contains("needs you"))
            #expect(FileManager.default.fileExists(atPath: app.scratch.appendingPathComponent("workspace").appendingPathComponent("notes.txt").path))
        }
    }

    @Test("Stopping an agent that waits for approval ends the wait: the pill lets go, the agent is cancelled, the command never runs")
    func stopWhileWaiting() async throws {
        try await TmuxDriver.withApp(arguments: ["--script", Self.script.path, "--permission-mode", "ask"]) { app in
            try await app.waitForScreen(containing: "/help for commands", timeout: .seconds(20))
            await app.submit("launch")
            let asked = try await app.waitForScreen(containing: "⚠ 1 needs you")
            let id = try Self.askerID(on: asked)
            await app.submit("/tasks stop \(id)")
            let stopped = try await app.waitForScreen(containing: "Background agent \"asker\" was cancelled")
            #expect(!stopped.contains("needs you"))
            #expect(!FileManager.default.fileExists(atPath: app.scratch.appendingPathComponent("workspace/approved.txt").path))
            // A late answer finds nothing to answer.
            await app.submit("/tasks approve \(id)")
            try await app.waitForScreen(containing: "Task #\(id) has no call waiting for approval.")
        }
    }

    @Test("The main agent's edit asks inline with its diff; n with a reason denies it and the model sees the reason")
    func foregroundEdit() async throws {
        try await TmuxDriver.withApp(arguments: ["--script", Self.script.path, "--permission-mode", "ask"]) { app in
            try await app.waitForScreen(containing: "/help for commands", timeout: .seconds(20))
            await app.submit("edit the notes")
            let asked = try await app.waitForScreen(containing: "Approve? y once")
            #expect(asked.contains("The agent asks to edit notes.txt (+1 −1):"))
            #expect(asked.contains("-hello"))
            #expect(asked.contains("+goodbye"))
            await app.submit("n not this file")
            try await app.waitForScreen(containing: "Edit result: Error: The person denied this call: not this file")
            #expect(try String(contentsOf: app.scratch.appendingPathComponent("workspace").appendingPathComponent("notes.txt"), encoding: .utf8) == "hello\n")

            await app.submit("edit again")
            try await app.waitForScreen(containing: "Approve? y once")
            await app.submit("y")
            try await app.waitForScreen(containing: "Edit result: edited notes.txt (+1 −1)")
            #expect(try String(contentsOf: app.scratch.appendingPathComponent("workspace").appendingPathComponent("notes.txt"), encoding: .utf8) == "goodbye\n")
        }
    }
}

/// Approvals in a headless run: nobody to ask.
@Suite("Approvals headless")
struct ApprovalHeadlessTests {
    /// Runs the approvals fixture headless with `arguments` on a workspace whose notes.txt says
    /// hello; returns the finished process and the notes' content afterwards.
    private func run(_ arguments: [String]) async throws -> (muster: HeadlessProcess, notes: String) {
        let scratch = try HeadlessProcess.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let notes = scratch.appendingPathComponent("workspace/notes.txt")
        try "hello\n".write(to: notes, atomically: true, encoding: .utf8)
        let muster = try HeadlessProcess(arguments, scratch: scratch, script: HeadlessProcess.fixtures.appendingPathComponent("approvals.json"))
        defer { muster.stop() }
        #expect(try await muster.waitForExit() == 0)
        return (muster, try String(contentsOf: notes, encoding: .utf8))
    }

    @Test("-p in mode ask refuses what needs approval as a tool error, goes on, and the JSON result lists the refusals")
    func refusedAndListed() async throws {
        let (muster, notes) = try await run(["-p", "edit the notes", "--output-format", "json", "--permission-mode", "ask"])
        let json = try JSONValue.parse(muster.standardOutput.trimmingCharacters(in: .newlines))
        #expect(json["text"] == .string("Edit result: Error: needs approval: edit: notes.txt (+1 −1) was not run. Run with --permission-mode auto or --allow 'edit: notes.txt'."))
        let refused = json["approvals_refused"]?.arrayValue ?? []
        #expect(refused.count == 1)
        #expect(refused.first?["subject"] == "edit: notes.txt (+1 −1)")
        #expect(refused.first?["tool"] == "edit_file")
        #expect(refused.first?["task_id"] == nil, "absent for the main agent")
        #expect(refused.first?["call_id"]?.stringValue?.isEmpty == false)
        #expect(notes == "hello\n")
    }

    @Test("--allow approves what its rule matches, headless too")
    func allowRule() async throws {
        let (muster, notes) = try await run(["-p", "edit the notes", "--permission-mode", "ask", "--allow", "edit: notes.*"])
        #expect(muster.standardOutput == "Edit result: edited notes.txt (+1 −1)\n")
        #expect(notes == "goodbye\n")
    }
}
