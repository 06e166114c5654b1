import Foundation

/// Runs short outside commands (tmux, pgrep, sh) for the end-to-end tests and the benchmarks.
///
/// posix_spawn and waitpid, not Foundation's Process: its waitUntilExit never returned here for
/// a tmux client that had already exited. The child gets an empty signal mask and default
/// actions (a Swift thread may block SIGTERM, and a tmux server started with it blocked ignores
/// kill-server), and only stdin, stdout and stderr: the output pipe is close-on-exec, so a tmux
/// server spawned at the same time by another caller cannot keep it open.
public enum ShortCommand {
    /// The exit status (128 + signal when killed) and everything it wrote to stdout and stderr.
    public struct Outcome: Sendable, Equatable {
        public let status: Int32
        public let output: String
    }

    /// Runs `command` (looked up on PATH) to its end; `captureOutput: false` sends its output to
    /// /dev/null, for commands that may leave a daemon behind (a tmux server keeps what it inherits).
    @discardableResult
    public static func run(_ command: [String], captureOutput: Bool = true) -> Outcome {
        guard let program = command.first else { return Outcome(status: -1, output: "no command") }
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return Outcome(status: -1, output: "pipe failed") }
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
        // Other pipes of this process may lack close-on-exec; a tmux server must not keep them open.
        if let closeFrom { _ = closeFrom(&actions, 3) }
        let argv = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, program, &actions, &attributes, argv, environ)
        close(fds[1])
        defer { close(fds[0]) }
        guard spawned == 0 else {
            return Outcome(status: -1, output: "cannot run \(program): \(String(cString: strerror(spawned)))")
        }
        var output = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fds[0], &buffer, buffer.count)
            if count > 0 { output.append(contentsOf: buffer[0..<count]) } else if count == 0 || errno != EINTR { break }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return Outcome(status: exitStatus, output: String(decoding: output, as: UTF8.self))
    }

    /// glibc's posix_spawn_file_actions_addclosefrom_np (2.34+), which Swift does not see declared.
    private static let closeFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? =
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np").map {
            unsafeBitCast($0, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
        }
}
