import Foundation
import MusterCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The Landlock sandbox of `shell` commands, through the built binary: the scripted main agent
/// runs the prompt as a shell command (`processes.json`). The workspace, the temporary directory
/// (`TMPDIR`) and HOME are separate folders of the scratch folder, so `..` and `~` are outside
/// everything the sandbox lets a command write.
@Suite(
    "Sandbox end to end",
    .enabled(if: HeadlessProcess.binary != nil, "build muster first (swift build)"),
    .enabled(if: KernelLandlock.isAvailable, "this kernel has no Landlock (\(KernelLandlock.missing)): the sandbox cannot be tested here"),
    .serialized
)
struct SandboxEndToEndTests {
    static let script = HeadlessProcess.fixtures.appendingPathComponent("processes.json")

    /// A scratch folder with `workspace/`, `state/`, `tmp/` (the temporary directory) and
    /// `outside.txt`, a file beside the workspace.
    private static func scratch() throws -> URL {
        let scratch = try HeadlessProcess.makeScratch()
        try FileManager.default.createDirectory(at: scratch.appendingPathComponent("tmp"), withIntermediateDirectories: true)
        try "keep\n".write(to: scratch.appendingPathComponent("outside.txt"), atomically: true, encoding: .utf8)
        return scratch
    }

    /// Runs `command` as the main agent's shell call, headless, with `arguments`; returns its output.
    private static func run(_ command: String, _ arguments: [String] = [], in scratch: URL) async throws -> String {
        let muster = try HeadlessProcess(
            arguments + ["-p", command], scratch: scratch, script: script,
            environment: ["TMPDIR": scratch.appendingPathComponent("tmp").path, "MUSTER_SANDBOX": ""]
        )
        defer { muster.stop() }
        #expect(try await muster.waitForExit() == 0, "stderr: \(muster.standardError)")
        return muster.standardOutput
    }

    /// Each way out of the workspace, and the file it would have made or changed.
    static let escapes: [(command: String, path: String)] = [
        ("touch ../x", "x"),
        ("echo > ~/.muster-sandbox-test", ".muster-sandbox-test"),
        ("rm ../outside.txt", "outside.txt"),
        ("echo data > moved && mv moved ../moved", "moved"),
        ("sh -c 'touch ../child'", "child"),
        ("setsid -f sh -c 'touch ../grandchild 2> grandchild.err; echo done > grandchild.status'; while [ ! -s grandchild.status ]; do sleep 0.05; done; cat grandchild.err; test -e ../grandchild", "grandchild"),
    ]

    @Test("workspace-write: writing, creating, removing and moving outside the workspace are denied, also for a child and a setsid grandchild, and the result says the sandbox denied it", arguments: escapes)
    func writesOutsideAreDenied(command: String, path: String) async throws {
        let scratch = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let output = try await Self.run(command, in: scratch)
        #expect(output.contains("Permission denied"), "output: \(output)")
        #expect(output.contains("denied by the sandbox (workspace-write)") && output.contains("--sandbox off"), "output: \(output)")
        let target = scratch.appendingPathComponent(path)
        if path == "outside.txt" {
            #expect(try String(contentsOf: target, encoding: .utf8) == "keep\n")
        } else {
            #expect(!FileManager.default.fileExists(atPath: target.path), "\(path) was written")
        }
    }

    @Test("A sub-agent's shell call, a background shell and a ! command are confined the same way")
    func everyWayACommandStartsIsConfined() async throws {
        let scratch = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let workspace = scratch.appendingPathComponent("workspace")
        let environment = ["TMPDIR": scratch.appendingPathComponent("tmp").path, "MUSTER_SANDBOX": ""]
        // A background agent's foreground call (processes.json: `: bg;` goes to a worker).
        _ = try await Self.run(": bg; touch ../by-agent; echo ran > agent-ran", in: scratch)
        // A background shell (shells.json: `: serve;` starts the prompt with background: true).
        let shells = try HeadlessProcess(
            ["-p", ": serve; touch ../by-background; echo ran > background-ran"], scratch: scratch,
            script: HeadlessProcess.fixtures.appendingPathComponent("shells.json"), environment: environment
        )
        defer { shells.stop() }
        #expect(try await shells.waitForExit() == 0)
        // A `!` command of the person's, in plain mode.
        let input = Pipe()
        let plain = try HeadlessProcess(["--plain"], scratch: scratch, script: Self.script, environment: environment, input: input)
        defer { plain.stop() }
        input.fileHandleForWriting.write(Data("!echo ran > person-ran; touch ../by-person\n".utf8))
        // Its end: the failed touch's status, then the sandbox's note.
        try await plain.waitForOutput { $0.contains("exit status 1") && $0.contains("denied by the sandbox") }
        input.fileHandleForWriting.write(Data("/quit\n".utf8))
        #expect(try await plain.waitForExit() == 0)
        for way in ["agent", "background", "person"] {
            #expect(FileManager.default.fileExists(atPath: workspace.appendingPathComponent("\(way)-ran").path), "the \(way)'s command did not run")
            #expect(!FileManager.default.fileExists(atPath: scratch.appendingPathComponent("by-\(way)").path), "the \(way)'s command wrote outside")
        }
    }

    @Test("The same outside the sandbox (--sandbox off) succeeds: the denials are the sandbox's")
    func offAllowsThem() async throws {
        let scratch = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let output = try await Self.run("touch ../x && rm ../outside.txt && echo wrote", ["--sandbox", "off"], in: scratch)
        #expect(output.contains("wrote"), "output: \(output)")
        #expect(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("x").path))
    }

    @Test("workspace-write: the same inside the workspace succeed, and a make-like build, devices, the temp directory and the scratch directory work")
    func writesInsideSucceed() async throws {
        let scratch = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let workspace = scratch.appendingPathComponent("workspace")
        try "out.txt:\n\techo built > out.txt\n".write(to: workspace.appendingPathComponent("Makefile"), atomically: true, encoding: .utf8)
        // In a file: the scripted model cuts a long prompt.
        let script = """
            touch x && echo data > in.txt && mkdir d && mv in.txt d/ && rm x && sh -c 'touch child' \
              && setsid -f sh -c 'touch grandchild; echo done > grandchild.status' \
              && while [ ! -s grandchild.status ]; do sleep 0.05; done \
              && make -s && cat out.txt && echo quiet > /dev/null && head -c 4 /dev/urandom > /dev/null \
              && t=$(mktemp) && echo temp > "$t" && echo scratch > "$MUSTER_SCRATCH/f" && echo to-stderr >&2 && echo all-ok

            """
        try script.write(to: workspace.appendingPathComponent("build.sh"), atomically: true, encoding: .utf8)
        let output = try await Self.run("sh build.sh", in: scratch)
        #expect(output.contains("built") && output.contains("to-stderr") && output.contains("all-ok"), "output: \(output)")
        for path in ["d/in.txt", "child", "grandchild", "out.txt"] {
            #expect(FileManager.default.fileExists(atPath: workspace.appendingPathComponent(path).path), "\(path) is missing")
        }
        #expect(!FileManager.default.fileExists(atPath: workspace.appendingPathComponent("x").path))
    }

    @Test("A workspace whose path has blanks, quotes, a newline and an escape byte is confined to itself all the same")
    func hostileWorkspacePath() async throws {
        let scratch = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let workspace = scratch.appendingPathComponent("work space 'x' $(id)\n\u{1B}[31m--write")
        try FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
        let output = try await Self.run("touch inside && touch ../beside; echo done", ["--workspace", workspace.path], in: scratch)
        #expect(output.contains("Permission denied") && output.contains("done"), "output: \(output)")
        #expect(FileManager.default.fileExists(atPath: workspace.appendingPathComponent("inside").path))
        #expect(!FileManager.default.fileExists(atPath: scratch.appendingPathComponent("beside").path))
    }

    @Test("read-only: writes inside the workspace are denied too; the scratch directory (also TMPDIR) stays writable")
    func readOnlyDeniesWritesInside() async throws {
        let scratch = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let workspace = scratch.appendingPathComponent("workspace")
        let denied = try await Self.run("touch inside", ["--sandbox", "read-only"], in: scratch)
        #expect(denied.contains("Permission denied") && denied.contains("denied by the sandbox (read-only)"), "output: \(denied)")
        #expect(!FileManager.default.fileExists(atPath: workspace.appendingPathComponent("inside").path))
        let rm = try await Self.run("rm notes.txt", ["--sandbox", "read-only"], in: scratch)
        #expect(rm.contains("Permission denied"), "output: \(rm)")
        #expect(FileManager.default.fileExists(atPath: workspace.appendingPathComponent("notes.txt").path))
        let allowed = try await Self.run(#"t=$(mktemp) && echo x > "$t" && echo y > "$MUSTER_SCRATCH/f" && cat notes.txt && echo scratch-ok"#, ["--sandbox", "read-only"], in: scratch)
        #expect(allowed.contains("hello") && allowed.contains("scratch-ok"), "output: \(allowed)")
    }

    @Test("--sandbox-network off: connecting to a local listener on 127.0.0.1 is denied; with the network on it connects")
    func networkOffDeniesConnect() async throws {
        let scratch = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let listener = try LocalListener()
        defer { listener.close() }
        let connect = "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", \(listener.port)), timeout=5); print(\"connected\")'"
        let denied = try await Self.run(connect, ["--sandbox-network", "off"], in: scratch)
        #expect(denied.contains("Permission denied") && !denied.contains("connected\n"), "output: \(denied)")
        #expect(denied.contains("denied by the sandbox"), "output: \(denied)")
        let allowed = try await Self.run(connect, in: scratch)
        #expect(allowed.contains("connected"), "output: \(allowed)")
    }

    @Test("/sandbox shows the mode and the kernel's Landlock ABI; the session log records it; --sandbox off is said at start")
    func statusLogAndFirstScreen() async throws {
        let scratch = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let abi = try Landlock.abi().get()
        let log = scratch.appendingPathComponent("session.jsonl")
        let input = Pipe()
        let muster = try HeadlessProcess(
            ["--plain", "--log-file", log.path], scratch: scratch, script: Self.script,
            environment: ["TMPDIR": scratch.appendingPathComponent("tmp").path, "MUSTER_SANDBOX": ""], input: input
        )
        defer { muster.stop() }
        input.fileHandleForWriting.write(Data("/sandbox\n/quit\n".utf8))
        #expect(try await muster.waitForExit() == 0)
        #expect(muster.standardOutput.contains("Sandbox: workspace-write (Landlock ABI \(abi)), network on."), "output: \(muster.standardOutput)")
        let start = try #require(try HeadlessProcess.records(String(contentsOf: log, encoding: .utf8)).first)
        guard case .sessionStart(let record) = start.event else {
            Issue.record("the first record is not session_start: \(start)")
            return
        }
        #expect(record.metadata.sandbox?.mode == .workspaceWrite && record.metadata.sandbox?.landlockABI == abi)
        // The scratch directory goes with the session.
        let scratchDirectory = try #require(record.metadata.sandbox?.scratch)
        #expect(!FileManager.default.fileExists(atPath: scratchDirectory))

        let offInput = Pipe()
        let off = try HeadlessProcess(["--plain", "--sandbox", "off"], scratch: scratch, script: Self.script, input: offInput)
        defer { off.stop() }
        offInput.fileHandleForWriting.write(Data("/sandbox\n/quit\n".utf8))
        #expect(try await off.waitForExit() == 0)
        #expect(off.standardOutput.contains("Sandbox: off (Landlock ABI \(abi)), network on. Shell commands can write wherever you can."), "output: \(off.standardOutput)")
        #expect((off.standardOutput + off.standardError).contains("Sandbox off: shell commands can write wherever you can."))
    }
}

/// Whether the kernel offers Landlock (the suite is skipped, saying why, where it does not).
private enum KernelLandlock {
    static var isAvailable: Bool { (try? Landlock.abi().get()) != nil }
    static var missing: String {
        if case .failure(let why) = Landlock.abi() { why.description } else { "" }
    }
}

/// A TCP socket listening on 127.0.0.1 at a port the kernel picks (connections wait in its
/// backlog; nothing accepts them).
private struct LocalListener {
    let descriptor: Int32
    let port: UInt16

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.descriptor = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        guard descriptor >= 0, bound, listen(descriptor, 8) == 0 else {
            throw HeadlessProcess.Failure(description: "cannot listen on 127.0.0.1: \(String(cString: strerror(errno)))")
        }
        port = UInt16(bigEndian: address.sin_port)
    }

    func close() {
        _ = Glibc.close(descriptor)
    }
}
