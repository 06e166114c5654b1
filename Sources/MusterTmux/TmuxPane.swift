import Foundation

/// One pane on a private tmux server (`tmux -L <server>`), running a command under a wrapper
/// that keeps the pane after the command exits and prints `[exit N]`.
public struct TmuxPane: Sendable {
    /// The private server's socket name.
    public let server: String

    /// Starts `command` in a new detached `width`x`height` session on server `server`, in
    /// `directory`, with `environment` added. `afterExit` is a shell command run after `[exit N]`.
    public init(
        server: String, command: [String], width: Int = 120, height: Int = 40,
        directory: URL? = nil, environment: [String: String] = [:], afterExit: String? = nil
    ) async throws(TmuxFailure) {
        self.server = server
        guard !command.isEmpty else { throw TmuxFailure("no command to run in tmux") }
        // `trap : INT` keeps Ctrl-C from killing the wrapper; the command gets it.
        let after = afterExit.map { "; \($0)" } ?? ""
        let wrapper = "trap : INT; \"$0\" \"$@\"; echo \"[exit $?]\"\(after); exec sleep 600"
        var arguments = ["tmux", "-L", server, "-f", "/dev/null", "new-session", "-d", "-x", "\(width)", "-y", "\(height)"]
        if let directory { arguments += ["-c", directory.path] }
        for (key, value) in environment.sorted(by: { $0.key < $1.key }) { arguments += ["-e", "\(key)=\(value)"] }
        arguments += ["sh", "-c", wrapper] + command
        // The server forks off and keeps whatever output it inherits: give it none, or a read of
        // the output would wait for the server to exit.
        let started = await ShortCommand.run(arguments, captureOutput: false)
        guard started.status == 0 else { throw TmuxFailure("tmux new-session failed with status \(started.status)") }
    }

    /// Runs a tmux command against this server.
    @discardableResult
    public func tmux(_ arguments: [String]) async -> ShortCommand.Outcome {
        await ShortCommand.run(["tmux", "-L", server] + arguments)
    }

    /// The pane as text (trailing blanks stripped by tmux).
    public func screen() async -> String {
        await tmux(["capture-pane", "-p"]).output
    }

    /// Polls the screen every `interval` until `condition` holds and returns that screen; the
    /// failure says what was awaited (`what`) and shows the last screen seen.
    @discardableResult
    public func waitForScreen(
        timeout: Duration, every interval: Duration = .milliseconds(20), _ what: String, until condition: (String) -> Bool
    ) async throws -> String {
        var last = ""
        let matched = try await OutsideState.poll(every: interval, timeout: timeout) { () -> String? in
            last = await screen()
            return condition(last) ? last : nil
        }
        guard let matched else {
            throw TmuxFailure("Timed out after \(timeout) waiting for the screen \(what). Last screen:\n\(last)")
        }
        return matched
    }

    /// Types text literally.
    public func type(_ text: String) async {
        await tmux(["send-keys", "-l", text])
    }

    /// Presses keys by tmux name (`Enter`, `Escape`, `C-c`, `PPage`).
    public func press(_ keys: [String]) async {
        await tmux(["send-keys"] + keys)
    }

    /// A tmux format value of the pane, e.g. `#{alternate_on}`.
    public func paneValue(_ format: String) async -> String {
        await tmux(["display-message", "-p", format]).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The command's process id: the child of the pane's shell wrapper.
    public func commandPID() async -> Int32? {
        let shell = await paneValue("#{pane_pid}")
        return await ShortCommand.run(["pgrep", "-P", shell]).output.split(separator: "\n").compactMap { Int32($0) }.first
    }

    /// Runs `body` with this pane, then ends the server, also when `body` throws (a `defer`
    /// cannot await `killServer`).
    public func killingServer<Result>(after body: (TmuxPane) async throws -> Result) async throws -> Result {
        do {
            let result = try await body(self)
            await killServer()
            return result
        } catch {
            await killServer()
            throw error
        }
    }

    /// Ends the private server, and with it the pane and its command.
    public func killServer() async {
        await tmux(["kill-server"])
    }
}

/// Why tmux could not do what was asked.
public struct TmuxFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
