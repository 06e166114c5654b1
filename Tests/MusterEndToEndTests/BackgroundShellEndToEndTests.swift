import Foundation
import MusterCore
import Testing

/// Background shells and `!` commands in the real binary (plain mode, typed lines on a pipe).
@Suite("Background shells end to end", .enabled(if: HeadlessProcess.binary != nil, "build muster first (swift build)"), .serialized)
struct BackgroundShellEndToEndTests {
    static let script = HeadlessProcess.fixtures.appendingPathComponent("shells.json")

    /// Processes whose command line holds `tag` (the shells and their children).
    private static func processes(_ tag: String) -> [Int32] {
        HeadlessProcess.processes(containing: tag)
    }

    private static func type(_ line: String, into input: Pipe) {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    /// The output file of task `id` under the scratch state directory, once it exists.
    private static func outputFile(of id: Int, in scratch: URL) -> URL? {
        let shells = scratch.appendingPathComponent("state/muster/shells")
        guard let sessions = try? FileManager.default.contentsOfDirectory(atPath: shells.path) else { return nil }
        return sessions.lazy.map { shells.appendingPathComponent($0).appendingPathComponent("task-\(id).log") }
            .first { FileManager.default.fileExists(atPath: $0.path) }
    }

    @Test("a scripted model starts a server in the background, answers and idles; the server answers on 127.0.0.1; /tasks lists a shell; /tasks stop leaves no process of it")
    func serverInTheBackground() async throws {
        let scratch = try HeadlessProcess.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let tag = "300.\(Int.random(in: 100_000...999_999))"
        defer { for pid in Self.processes(tag) { kill(pid, SIGKILL) } }
        let input = Pipe()
        let muster = try HeadlessProcess(["--plain"], scratch: scratch, script: Self.script, input: input)
        defer { muster.stop() }
        let hasPython = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")
            || (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/python3") }
        let server = hasPython
            ? "python3 -u -m http.server 0 --bind 127.0.0.1"
            : "while :; do echo tick; sleep 1; done"
        Self.type(": serve; sleep \(tag) & \(server)", into: input)
        try await muster.waitForOutput { $0.contains("The server runs in the background.") }
        // The main agent idles while the server runs.
        Self.type("/tasks", into: input)
        try await muster.waitForOutput { $0.contains(" shell ") && $0.contains("running") }
        #expect(muster.standardOutput.contains("1 shell"), "the pill counts the shell: \(muster.standardOutput)")
        if hasPython {
            var port: String?
            try await HeadlessProcess.waitUntil(timeout: .seconds(30), what: "the server to listen") {
                guard let file = Self.outputFile(of: 1, in: scratch),
                      let text = try? String(contentsOf: file, encoding: .utf8),
                      let match = text.firstMatch(of: /port ([0-9]+)/) else { return false }
                port = String(match.output.1)
                return true
            }
            let curl = Process()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            curl.arguments = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(try #require(port))/"]
            let out = Pipe()
            curl.standardOutput = out
            try curl.run()
            curl.waitUntilExit()
            #expect(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "200")
            // The server's log line reaches the file through the output pump a moment after the
            // response: `/tasks show` shows the file as it is when asked.
            try await HeadlessProcess.waitUntil(timeout: .seconds(30), what: "the request in the server's log") {
                Self.outputFile(of: 1, in: scratch).flatMap { try? String(contentsOf: $0, encoding: .utf8) }?.contains("\"GET / HTTP/1.1\" 200") == true
            }
            Self.type("/tasks show 1", into: input)
            try await muster.waitForOutput { $0.contains("\"GET / HTTP/1.1\" 200") }
        }
        #expect(!Self.processes(tag).isEmpty)
        Self.type("/tasks stop 1", into: input)
        try await muster.waitForOutput { $0.contains("was cancelled (task #1") }
        // Cancelled means gone: nothing of it is left when the line is out.
        #expect(Self.processes(tag).isEmpty, "left: \(Self.processes(tag))")
        Self.type("/quit", into: input)
        #expect(try await muster.waitForExit() == 0)
    }

    @Test("!COMMAND & lists a shell task of the person's, /tasks stop ends it, and !COMMAND shows its output")
    func bangCommands() async throws {
        let scratch = try HeadlessProcess.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let tag = "300.\(Int.random(in: 100_000...999_999))"
        defer { for pid in Self.processes(tag) { kill(pid, SIGKILL) } }
        let input = Pipe()
        let muster = try HeadlessProcess(["--plain"], scratch: scratch, script: Self.script, input: input)
        defer { muster.stop() }
        Self.type("!sleep \(tag) &", into: input)
        do {
            try await muster.waitForOutput { $0.contains("started in the background (task #1)") }
        } catch {
            Issue.record("output: \(muster.standardOutput) err: \(muster.standardError)")
            throw error
        }
        Self.type("/tasks", into: input)
        try await muster.waitForOutput { $0.contains("sleep \(tag)") && $0.contains(" shell ") }
        Self.type("/tasks stop 1", into: input)
        try await muster.waitForOutput { $0.contains("was cancelled (task #1") }
        #expect(Self.processes(tag).isEmpty)
        Self.type("!echo from-the-person", into: input)
        try await muster.waitForOutput { $0.contains("│ from-the-person") }
        Self.type("!", into: input)
        try await muster.waitForOutput { $0.contains("Usage: !COMMAND") }
        Self.type("/quit", into: input)
        #expect(try await muster.waitForExit() == 0)
    }
}
