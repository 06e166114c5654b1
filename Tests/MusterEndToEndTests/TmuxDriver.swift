import Foundation
import MusterTmux

/// Drives the real `muster` binary inside tmux on a private server: types keys, reads the
/// screen, and polls it (`OutsideState`, with a deadline) instead of sleeping fixed times.
final class TmuxDriver {
    /// Why a test could not go on.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Columns and rows of the pane.
    static let width = 120
    static let height = 40

    let server: String
    private let pane: TmuxPane
    /// A scratch folder: the workspace and the state home of the app under test.
    let scratch: URL

    /// The built binary, or nil (the tests then skip with a message).
    static let binary = MusterBinary.url

    /// True when tmux and the binary are there.
    static var isAvailable: Bool {
        get async {
            guard binary != nil else { return false }
            return await run(["tmux", "-V"]).status == 0
        }
    }

    static let packageRoot = MusterBinary.packageRoot

    /// The fast script the tests play.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/tmux.json")

    /// Starts `muster` with `arguments` in a fresh pane of 120x40, under the wrapper that keeps
    /// the pane after it exits and prints `[exit N]` (and `afterExit`, a shell command, if given).
    ///
    /// With `jobControlShell`, the pane runs an interactive dash instead, and the app is typed
    /// there as a command, so Ctrl-Z and `fg` work as in a person's terminal (the wrapper's
    /// process group is orphaned, and the kernel drops Ctrl-Z's SIGTSTP for those). dash, not
    /// bash: it leaves the terminal's modes alone, so what the app leaves behind shows.
    init(arguments: [String] = [], environment: [String: String] = [:], afterExit: String? = nil, jobControlShell: Bool = false) async throws {
        guard let binary = Self.binary else { throw Failure(description: "The muster binary is not built.") }
        server = "muster-test-\(UUID().uuidString.prefix(8).lowercased())"
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent(server)
        try FileManager.default.createDirectory(at: scratch.appendingPathComponent("workspace"), withIntermediateDirectories: true)
        try "hello\n".write(to: scratch.appendingPathComponent("workspace/notes.txt"), atomically: true, encoding: .utf8)

        var env = [
            "LANG": "C.UTF-8",
            "TERM": "xterm-256color",
            "XDG_STATE_HOME": scratch.appendingPathComponent("state").path,
            "HOME": scratch.path,
            // The test script runs any command on purpose: not about approvals, so mode auto
            // (a test's --permission-mode, or its own MUSTER_PERMISSION_MODE, wins).
            "MUSTER_PERMISSION_MODE": "auto",
        ]
        env.merge(environment) { _, new in new }
        let app = [binary.path, "--script", Self.script.path] + arguments
        do {
            pane = try await TmuxPane(
                server: server, command: jobControlShell ? ["dash", "-i"] : app,
                width: Self.width, height: Self.height, directory: scratch.appendingPathComponent("workspace"),
                environment: env, afterExit: afterExit
            )
        } catch {
            throw Failure(description: error.description)
        }
        if jobControlShell {
            await submit(app.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " "))
        }
    }

    /// Starts the app as `init` does, runs `body` with it, and always kills the server after
    /// (`kill` awaits tmux, which a `defer` cannot).
    static func withApp<Result>(
        arguments: [String] = [], environment: [String: String] = [:], afterExit: String? = nil, jobControlShell: Bool = false,
        _ body: (TmuxDriver) async throws -> Result
    ) async throws -> Result {
        let app = try await TmuxDriver(arguments: arguments, environment: environment, afterExit: afterExit, jobControlShell: jobControlShell)
        do {
            let result = try await body(app)
            await app.kill()
            return result
        } catch {
            await app.kill()
            throw error
        }
    }

    /// The app's process id when it runs under the job-control shell: the descendant named muster.
    func appPIDUnderShell() async -> Int32? {
        guard let pane = Int32(await paneValue("#{pane_pid}")) else { return nil }
        return await Self.descendants(of: pane).first { pid in
            (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.hasPrefix("muster") == true
        }
    }

    /// The process state letter (`S`, `R`, `T` for stopped, ...) of `pid`, nil when it is gone.
    static func state(of pid: Int32) -> Character? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // The state letter follows the parenthesised command name.
        return stat[stat.index(close, offsetBy: 2)]
    }

    /// Ends the private server (and with it the app) and removes the scratch folder.
    func kill() async {
        await pane.killServer()
        try? FileManager.default.removeItem(at: scratch)
    }

    /// Types text literally.
    func type(_ text: String) async {
        await pane.type(text)
    }

    /// Presses keys by tmux name (`Enter`, `Escape`, `C-c`, `PPage`).
    func press(_ keys: String...) async {
        await pane.press(keys)
    }

    /// Pastes `text` as a terminal does: bracketed when the app asked for bracketed paste.
    func paste(_ text: String) async {
        await pane.tmux(["set-buffer", "-b", "muster-paste", text])
        await pane.tmux(["paste-buffer", "-p", "-d", "-b", "muster-paste"])
    }

    /// Types a line and presses Enter.
    func submit(_ line: String) async {
        await type(line)
        await press("Enter")
    }

    /// The pane as text (trailing blanks stripped by tmux).
    func screen() async -> String {
        await pane.screen()
    }

    /// A tmux format value of the pane, e.g. `#{alternate_on}`.
    func paneValue(_ format: String) async -> String {
        await pane.paneValue(format)
    }

    /// The app's process id: the child of the pane's shell.
    func appPID() async -> Int32? {
        await pane.commandPID()
    }

    /// The text of the newest session log the app wrote under the scratch state folder.
    func sessionLog() -> String? {
        let folder = scratch.appendingPathComponent("state/muster/sessions")
        let files = (try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? []
        guard let newest = files.filter({ $0.pathExtension == "jsonl" }).map(\.path).max() else { return nil }
        return try? String(contentsOfFile: newest, encoding: .utf8)
    }

    /// Closes the pane: the app's terminal hangs up (SIGHUP).
    func closePane() async {
        await pane.tmux(["kill-pane"])
    }

    /// Waits until no process has id `pid` (zombies count as gone).
    static func waitUntilGone(_ pid: Int32, timeout: Duration) async throws {
        let gone = try await OutsideState.poll(timeout: timeout) { state(of: pid).map { $0 == "Z" } ?? true }
        guard gone else { throw Failure(description: "Process \(pid) still runs after \(timeout).") }
    }

    /// Waits until `pid` has at least one descendant process; returns all of them.
    static func waitForDescendants(of pid: Int32, timeout: Duration) async throws -> [Int32] {
        let found = try await OutsideState.poll(timeout: timeout) { () -> [Int32]? in
            let found = await descendants(of: pid)
            return found.isEmpty ? nil : found
        }
        guard let found else { throw Failure(description: "Process \(pid) started no child within \(timeout).") }
        return found
    }

    /// Every process whose parent chain leads to `pid`.
    static func descendants(of pid: Int32) async -> [Int32] {
        var result: [Int32] = []
        var frontier = [pid]
        while let parent = frontier.popLast() {
            let children = await run(["pgrep", "-P", "\(parent)"]).output.split(separator: "\n").compactMap { Int32($0) }
            result += children
            frontier += children
        }
        return result
    }

    /// Resizes the window (the app gets SIGWINCH).
    func resize(width: Int, height: Int) async {
        await pane.tmux(["resize-window", "-x", "\(width)", "-y", "\(height)"])
    }

    /// Polls the screen until it contains `text`; returns that screen.
    @discardableResult
    func waitForScreen(containing text: String, timeout: Duration = .seconds(10)) async throws -> String {
        try await waitForScreen(timeout: timeout, "to contain \"\(text)\"") { $0.contains(text) }
    }

    /// Polls the screen until `condition` holds; returns that screen.
    @discardableResult
    func waitForScreen(timeout: Duration = .seconds(10), _ what: String, until condition: (String) -> Bool) async throws -> String {
        do {
            // Every 50 ms, as platform.md advises for tmux screens.
            return try await pane.waitForScreen(timeout: timeout, every: .milliseconds(50), what, until: condition)
        } catch let failure as TmuxFailure {
            throw Failure(description: failure.description)
        }
    }

    /// The screen line that contains `text`, if any.
    static func line(containing text: String, in screen: String) -> String? {
        screen.split(separator: "\n", omittingEmptySubsequences: false).first { $0.contains(text) }.map(String.init)
    }

    /// Runs a short command and returns its status and output (stdout and stderr).
    @discardableResult
    static func run(_ command: [String], captureOutput: Bool = true) async -> (status: Int32, output: String) {
        let outcome = await ShortCommand.run(command, captureOutput: captureOutput)
        return (outcome.status, outcome.output)
    }
}
