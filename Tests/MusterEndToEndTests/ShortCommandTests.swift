import Foundation
import MusterTmux
import Testing

@Suite("Short outside commands for tests and benchmarks")
struct ShortCommandTests {
    @Test("the exit status and everything written to stdout and stderr come back")
    func statusAndOutput() async {
        let outcome = await ShortCommand.run(["sh", "-c", "echo out; echo err >&2; exit 3"])
        #expect(outcome.status == 3)
        #expect(outcome.output == "out\nerr\n")
    }

    @Test("a command killed by a signal reports 128 plus the signal")
    func killedBySignal() async {
        #expect(await ShortCommand.run(["sh", "-c", "kill -TERM $$"]).status == 143)
    }

    @Test("the child starts with no blocked signals and only stdin, stdout and stderr open")
    func cleanStart() async {
        // SigBlk is the blocked-signal mask; /proc/self/fd lists the open descriptors (ls opens one more).
        let mask = await ShortCommand.run(["sh", "-c", "grep SigBlk /proc/self/status"]).output
        #expect(mask.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix("0000000000000000"))
        let fds = await ShortCommand.run(["sh", "-c", "ls /proc/$$/fd"]).output.split(separator: "\n").compactMap { Int($0) }
        #expect(fds.filter { $0 > 2 && $0 != 255 }.isEmpty, "open descriptors: \(fds)")
    }

    @Test("the child starts with TERM, INT, HUP, PIPE and QUIT neither blocked nor ignored, though this process ignores SIGPIPE")
    func defaultDispositions() async throws {
        // What makes the test able to fail: this process ignores SIGPIPE, and an ignored signal
        // stays ignored across exec unless the spawner resets it. (Only SIGPIPE: the tests run in
        // parallel, and other spawners here would hand an ignored SIGTERM on.)
        let previous = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previous) }
        // SigBlk and SigIgn are masks in hex, bit n - 1 for signal n.
        let output = await ShortCommand.run(["sh", "-c", "grep -E '^Sig(Blk|Ign)' /proc/self/status"]).output
        let masks = output.split(separator: "\n").compactMap { line in UInt64(line.split(separator: "\t").last ?? "", radix: 16) }
        try #require(masks.count == 2, "\(output)")
        for number in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT] {
            #expect(masks.allSatisfy { $0 & (1 << UInt64(number - 1)) == 0 }, "signal \(number): \(output)")
        }
    }

    @Test("a program given by path runs as one looked up on PATH does")
    func programByPath() async {
        let outcome = await ShortCommand.run(["/bin/sh", "-c", "echo by path; exit 4"])
        #expect(outcome.status == 4)
        #expect(outcome.output == "by path\n")
    }

    @Test("a missing program is a clear failure, not a crash")
    func missingProgram() async {
        let outcome = await ShortCommand.run(["muster-no-such-program-\(UInt32.random(in: 0...UInt32.max))"])
        #expect(outcome.status != 0)
        #expect(!outcome.output.isEmpty)
    }

    @Test("with output not captured, a command that leaves a process behind does not hold the call")
    func uncapturedDoesNotWait() async throws {
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("muster-short-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: pidFile) }
        // The sleep keeps the command's stdout: a captured run would wait the whole 30 s for it.
        let outcome = await ShortCommand.run(["sh", "-c", "sleep 30 & echo $! > '\(pidFile.path)'"], captureOutput: false)
        #expect(outcome.status == 0)
        #expect(outcome.output == "")
        let pid = try #require(Int32(String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(pid, SIGKILL) == 0)
    }
}
