import Foundation

/// How the session's `shell` commands are confined: every process a command starts (foreground,
/// background, `!` commands) runs under a Landlock ruleset applied by the `muster-sandbox` exec
/// wrapper after `PR_SET_NO_NEW_PRIVS` and before `/bin/sh` is executed, so nothing the command
/// spawns can lift it (swift-subprocess has no hook that runs in the child before exec on Linux).
public struct Sandbox: Sendable, Equatable {
    /// The mode in force.
    public let mode: SandboxMode
    /// True unless TCP connect and bind are denied.
    public let networkAllowed: Bool
    /// The kernel's Landlock ABI, nil when it has none.
    public let landlockABI: Int?
    /// The exec wrapper (nil when off).
    public let helper: URL?
    /// Where commands may write (their subtrees), besides the devices every command needs.
    public let writable: [URL]
    /// The per-session scratch directory (nil when off).
    public let scratch: URL?
    /// Why the mode or the network is not what was asked for.
    public let note: String?

    /// Devices that ordinary commands write to (`> /dev/null`, terminals, random sources):
    /// writes to them stay allowed in every mode. Writing a pipe through `/dev/stdout` or
    /// `/dev/stderr` is denied (Landlock cannot grant a pipe by path): `>&2` works.
    public static let devices = ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty", "/dev/ptmx", "/dev/pts"]

    /// No sandbox.
    public static let off = Sandbox(mode: .off, networkAllowed: true, landlockABI: nil, helper: nil, writable: [], scratch: nil, note: nil)

    /// No sandbox, on a kernel whose Landlock ABI is `landlockABI` (nil: none), `note` saying why when it was not chosen.
    public static func off(landlockABI: Int?, note: String?) -> Sandbox {
        Sandbox(mode: .off, networkAllowed: true, landlockABI: landlockABI, helper: nil, writable: [], scratch: nil, note: note)
    }

    public init(mode: SandboxMode, networkAllowed: Bool, landlockABI: Int?, helper: URL?, writable: [URL], scratch: URL?, note: String?) {
        self.mode = mode
        self.networkAllowed = networkAllowed
        self.landlockABI = landlockABI
        self.helper = helper
        self.writable = writable
        self.scratch = scratch
        self.note = note
    }

    /// `mode` for `workspace`, with its scratch directory (created now, private to the user)
    /// and, with `denyNetwork`, TCP denied. Callers check the kernel first (`SandboxSettings`).
    public static func confining(
        _ mode: SandboxMode, workspace: URL, denyNetwork: Bool, landlockABI: Int, helper: URL,
        temporaryDirectory: URL = FileManager.default.temporaryDirectory, note: String? = nil
    ) throws -> Sandbox {
        guard mode != .off else { return .off }
        let scratch = temporaryDirectory.appendingPathComponent("muster-scratch-\(getpid())-\(UUID().uuidString.prefix(8).lowercased())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let writable = mode == .workspaceWrite
            ? [workspace.standardizedFileURL, temporaryDirectory.standardizedFileURL, scratch]
            : [scratch]
        return Sandbox(
            mode: mode, networkAllowed: !denyNetwork, landlockABI: landlockABI, helper: helper,
            writable: writable, scratch: scratch, note: note
        )
    }

    /// Removes the scratch directory and what commands left there (at the end of the session,
    /// once no command runs).
    public func removeScratch() {
        guard let scratch else { return }
        try? FileManager.default.removeItem(at: scratch)
    }

    /// The program and arguments that run `command` with `/bin/sh -c` under this sandbox.
    public func launch(_ command: String) -> (executable: String, arguments: [String]) {
        guard mode != .off, let helper else { return ("/bin/sh", ["-c", command]) }
        var arguments: [String] = []
        for path in writable.map(\.path) + Self.devices {
            arguments += ["--write", path]
        }
        if !networkAllowed { arguments.append("--deny-network") }
        return (helper.path, arguments + ["--", "/bin/sh", "-c", command])
    }

    /// Variables a sandboxed command gets: `MUSTER_SCRATCH` (its scratch directory), and in
    /// `read-only` mode `TMPDIR` pointing there too, so `mktemp` and the like keep working.
    public var environment: [String: String] {
        guard let scratch else { return [:] }
        var variables = ["MUSTER_SCRATCH": scratch.path]
        if mode == .readOnly { variables["TMPDIR"] = scratch.path }
        return variables
    }

    /// What `/sandbox` shows and the log records.
    public var status: SandboxStatus {
        SandboxStatus(mode: mode, network: networkAllowed, landlockABI: landlockABI, scratch: scratch?.path, note: note)
    }

    /// Words in the output of a command the sandbox denied something (EACCES, EPERM, EROFS).
    static let denialWords = ["Permission denied", "Operation not permitted", "Read-only file system"]

    /// The note a failed command's result gets when the sandbox may have denied it: the command
    /// failed (`failed`) and its output has a permission error in it. Nil otherwise, and always when off.
    public func denialNote(output: String, failed: Bool) -> String? {
        guard mode != .off, failed, Self.denialWords.contains(where: output.contains) else { return nil }
        let network = networkAllowed ? "" : "; TCP connections are denied"
        return "[Sandbox: this looks denied by the sandbox (\(mode.rawValue)): \(status.confines)\(network). To allow it, start Muster with --sandbox off.]"
    }
}
