import Foundation

/// Drives the real `muster` binary inside tmux on a private server: types keys, reads the
/// screen, and polls it (every 50 ms, with a deadline) instead of sleeping fixed times.
final class TmuxDriver {
    /// Why a test could not go on.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Columns and rows of the pane.
    static let width = 120
    static let height = 40

    let server: String
    /// A scratch folder: the workspace and the state home of the app under test.
    let scratch: URL

    /// The built binary, or nil (the tests then skip with a message).
    static let binary: URL? = {
        let candidates = [
            // The test bundle sits beside the products in .build/<triple>/debug.
            URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent().appendingPathComponent("muster"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("muster"),
            packageRoot.appendingPathComponent(".build/debug/muster"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    /// True when tmux and the binary are there.
    static var isAvailable: Bool {
        binary != nil && run(["tmux", "-V"]).status == 0
    }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The fast script the tests play.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/tmux.json")

    /// Starts `muster` with `arguments` in a fresh pane of 120x40, under the wrapper that keeps
    /// the pane after it exits and prints `[exit N]` (and `afterExit`, a shell command, if given).
    init(arguments: [String] = [], environment: [String: String] = [:], afterExit: String? = nil) throws {
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
        ]
        env.merge(environment) { _, new in new }
        // `trap : INT` keeps Ctrl-C from killing the wrapper; the app gets it.
        let after = afterExit.map { "; \($0)" } ?? ""
        let wrapper = "trap : INT; \"$0\" \"$@\"; echo \"[exit $?]\"\(after); exec sleep 600"
        var command = ["tmux", "-L", server, "-f", "/dev/null", "new-session", "-d", "-x", "\(Self.width)", "-y", "\(Self.height)",
                       "-c", scratch.appendingPathComponent("workspace").path]
        for (key, value) in env.sorted(by: { $0.key < $1.key }) { command += ["-e", "\(key)=\(value)"] }
        command += ["sh", "-c", wrapper, binary.path, "--script", Self.script.path] + arguments
        let started = Self.run(command)
        guard started.status == 0 else { throw Failure(description: "tmux new-session failed: \(started.output)") }
        tmux(["set-option", "-g", "remain-on-exit", "off"])
    }

    /// Ends the private server and removes the scratch folder.
    func kill() {
        tmux(["kill-server"])
        try? FileManager.default.removeItem(at: scratch)
    }

    /// Types text literally.
    func type(_ text: String) {
        tmux(["send-keys", "-l", text])
    }

    /// Presses keys by tmux name (`Enter`, `Escape`, `C-c`, `PPage`).
    func press(_ keys: String...) {
        tmux(["send-keys"] + keys)
    }

    /// Types a line and presses Enter.
    func submit(_ line: String) {
        type(line)
        press("Enter")
    }

    /// The pane as text (trailing blanks stripped by tmux).
    func screen() -> String {
        tmux(["capture-pane", "-p"]).output
    }

    /// A tmux format value of the pane, e.g. `#{alternate_on}`.
    func paneValue(_ format: String) -> String {
        tmux(["display-message", "-p", format]).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The app's process id: the child of the pane's shell.
    func appPID() -> Int32? {
        let shell = paneValue("#{pane_pid}")
        let children = Self.run(["pgrep", "-P", shell]).output.split(separator: "\n").compactMap { Int32($0) }
        return children.first
    }

    /// Resizes the window (the app gets SIGWINCH).
    func resize(width: Int, height: Int) {
        tmux(["resize-window", "-x", "\(width)", "-y", "\(height)"])
    }

    /// Polls the screen every 50 ms until it contains `text`; returns that screen.
    @discardableResult
    func waitForScreen(containing text: String, timeout: Duration = .seconds(10)) async throws -> String {
        try await waitForScreen(timeout: timeout, "to contain \"\(text)\"") { $0.contains(text) }
    }

    /// Polls the screen every 50 ms until `condition` holds; returns that screen.
    @discardableResult
    func waitForScreen(timeout: Duration = .seconds(10), _ what: String, until condition: (String) -> Bool) async throws -> String {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var last = ""
        while ContinuousClock.now < deadline {
            last = screen()
            if condition(last) { return last }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure(description: "Timed out after \(timeout) waiting for the screen \(what). Last screen:\n\(last)")
    }

    /// The screen line that contains `text`, if any.
    static func line(containing text: String, in screen: String) -> String? {
        screen.split(separator: "\n", omittingEmptySubsequences: false).first { $0.contains(text) }.map(String.init)
    }

    @discardableResult
    private func tmux(_ arguments: [String]) -> (status: Int32, output: String) {
        Self.run(["tmux", "-L", server] + arguments)
    }

    /// Runs a short command and returns its status and output (stdout and stderr).
    @discardableResult
    static func run(_ command: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return (-1, "\(error)")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
