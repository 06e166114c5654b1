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
        // The server forks off and keeps whatever output it inherits: give it none, or a
        // read of the output would wait for the server to exit.
        let started = Self.run(command, captureOutput: false)
        guard started.status == 0 else { throw Failure(description: "tmux new-session failed with status \(started.status).") }
    }

    /// Ends the private server (and with it the app) and removes the scratch folder.
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

    /// The text of the newest session log the app wrote under the scratch state folder.
    func sessionLog() -> String? {
        let folder = scratch.appendingPathComponent("state/muster/sessions")
        let files = (try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? []
        guard let newest = files.filter({ $0.pathExtension == "jsonl" }).map(\.path).max() else { return nil }
        return try? String(contentsOfFile: newest, encoding: .utf8)
    }

    /// Closes the pane: the app's terminal hangs up (SIGHUP).
    func closePane() {
        tmux(["kill-pane"])
    }

    /// Waits until no process has id `pid` (zombies count as gone).
    static func waitUntilGone(_ pid: Int32, timeout: Duration) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return }
            // The state letter follows the parenthesised command name.
            if let close = stat.lastIndex(of: ")"), stat[stat.index(close, offsetBy: 2)] == "Z" { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure(description: "Process \(pid) still runs after \(timeout).")
    }

    /// Waits until `pid` has at least one descendant process; returns all of them.
    static func waitForDescendants(of pid: Int32, timeout: Duration) async throws -> [Int32] {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            let found = descendants(of: pid)
            if !found.isEmpty { return found }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure(description: "Process \(pid) started no child within \(timeout).")
    }

    /// Every process whose parent chain leads to `pid`.
    static func descendants(of pid: Int32) -> [Int32] {
        var result: [Int32] = []
        var frontier = [pid]
        while let parent = frontier.popLast() {
            let children = run(["pgrep", "-P", "\(parent)"]).output.split(separator: "\n").compactMap { Int32($0) }
            result += children
            frontier += children
        }
        return result
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

    /// glibc's posix_spawn_file_actions_addclosefrom_np (2.34+), which Swift does not see declared.
    private static let closeFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? =
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np").map {
            unsafeBitCast($0, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
        }

    /// Runs a short command and returns its status and output (stdout and stderr).
    ///
    /// posix_spawn and waitpid, not Foundation's Process: its waitUntilExit never returned
    /// here for a tmux client that had already exited. The child gets an empty signal mask and
    /// default actions (a test thread blocks SIGTERM, and a tmux server started with it blocked
    /// ignores kill-server), and only stdin, stdout and stderr: the pipe is close-on-exec, so a
    /// tmux server spawned at the same time by another test cannot keep it open.
    @discardableResult
    static func run(_ command: [String], captureOutput: Bool = true) -> (status: Int32, output: String) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return (-1, "pipe failed") }
        // pipe2 is not visible from Swift here; the window before this fcntl is a few instructions.
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if captureOutput {
            posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
            posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        // Other tests' pipes may lack close-on-exec; a tmux server must not keep them open.
        if let closeFrom { _ = closeFrom(&actions, 3) }
        let argv = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, command[0], &actions, &attributes, argv, environ)
        close(fds[1])
        defer { close(fds[0]) }
        guard spawned == 0 else { return (-1, "cannot run \(command[0]): \(String(cString: strerror(spawned)))") }
        var output = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fds[0], &buffer, buffer.count)
            if count > 0 { output.append(contentsOf: buffer[0..<count]) } else if count == 0 || errno != EINTR { break }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return (exitStatus, String(decoding: output, as: UTF8.self))
    }
}
