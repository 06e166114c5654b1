import Foundation
import Testing

/// The curses UI in tmux: SIGHUP, SIGTERM and a second SIGTERM leave no tool process behind,
/// whatever detached or ignored SIGTERM.
@Suite(
    "Process cleanup in the interactive front end",
    .serialized,
    .enabled("needs tmux and the built binary (.build/debug/muster); run swift build first") { await TmuxDriver.isAvailable }
)
struct InteractiveProcessCleanupTests {
    static let script = HeadlessProcess.fixtures.appendingPathComponent("processes.json")

    /// The test's sleeps still alive.
    private static func survivors(_ tag: String) -> [Int32] {
        HeadlessProcess.processes(containing: "300.\(tag)").filter { pid in
            (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) == "sleep\n"
        }
    }

    /// Runs a command that detaches two sleeps and then waits in a third that ignores SIGTERM.
    private func withDetachedSleeps(_ body: (TmuxDriver, _ pid: Int32, _ tag: String) async throws -> Void) async throws {
        let tag = "\(Int.random(in: 100_000...999_999))"
        defer { for pid in Self.survivors(tag) { kill(pid, SIGKILL) } }
        try await TmuxDriver.withApp(arguments: ["--script", Self.script.path]) { app in
            try await app.waitForScreen(containing: "/help for commands", timeout: .seconds(20))
            await app.submit("setsid -f sleep 300.\(tag)1; env -i /usr/bin/setsid -f /bin/sleep 300.\(tag)2; trap '' TERM; sleep 300.\(tag)3")
            try await HeadlessProcess.waitUntil(timeout: .seconds(30), what: "three sleeps") { Self.survivors(tag).count == 3 }
            let pid = try #require(await app.appPID())
            try await body(app, pid, tag)
        }
    }

    @Test("SIGHUP and SIGTERM stop the processes a command detached and the one that ignores SIGTERM",
          arguments: [(SIGHUP, "[exit 129]"), (SIGTERM, "[exit 143]")])
    func signalStopsEverything(signal: Int32, exit: String) async throws {
        try await withDetachedSleeps { app, pid, tag in
            kill(pid, signal)
            try await app.waitForScreen(containing: exit, timeout: .seconds(5))
            #expect(Self.survivors(tag).isEmpty, "survivors: \(Self.survivors(tag))")
        }
    }

    @Test("a second SIGTERM exits at once and kills every tool process")
    func secondSignal() async throws {
        try await withDetachedSleeps { app, pid, tag in
            kill(pid, SIGTERM)
            try await app.waitForScreen(containing: "Exiting…")
            let start = ContinuousClock.now
            kill(pid, SIGTERM)
            try await app.waitForScreen(containing: "[exit 143]", timeout: .seconds(5))
            #expect(ContinuousClock.now - start < .seconds(1))
            #expect(Self.survivors(tag).isEmpty, "survivors: \(Self.survivors(tag))")
        }
    }
}
