import Foundation
import MusterTmux
import Testing

@Suite("Short outside commands for tests and benchmarks")
struct ShortCommandTests {
    @Test("the exit status and everything written to stdout and stderr come back")
    func statusAndOutput() {
        let outcome = ShortCommand.run(["sh", "-c", "echo out; echo err >&2; exit 3"])
        #expect(outcome.status == 3)
        #expect(outcome.output == "out\nerr\n")
    }

    @Test("a command killed by a signal reports 128 plus the signal")
    func killedBySignal() {
        #expect(ShortCommand.run(["sh", "-c", "kill -TERM $$"]).status == 143)
    }

    @Test("the child starts with no blocked signals and only stdin, stdout and stderr open")
    func cleanStart() {
        // SigBlk is the blocked-signal mask; /proc/self/fd lists the open descriptors (ls opens one more).
        let mask = ShortCommand.run(["sh", "-c", "grep SigBlk /proc/self/status"]).output
        #expect(mask.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix("0000000000000000"))
        let fds = ShortCommand.run(["sh", "-c", "ls /proc/$$/fd"]).output.split(separator: "\n").compactMap { Int($0) }
        #expect(fds.filter { $0 > 2 && $0 != 255 }.isEmpty, "open descriptors: \(fds)")
    }

    @Test("a missing program is a clear failure, not a crash")
    func missingProgram() {
        let outcome = ShortCommand.run(["muster-no-such-program-\(UInt32.random(in: 0...UInt32.max))"])
        #expect(outcome.status != 0)
        #expect(!outcome.output.isEmpty)
    }

    @Test("with output not captured, a command that leaves a process behind does not hold the call")
    func uncapturedDoesNotWait() throws {
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("muster-short-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: pidFile) }
        // The sleep keeps the command's stdout: a captured run would wait the whole 30 s for it.
        let outcome = ShortCommand.run(["sh", "-c", "sleep 30 & echo $! > '\(pidFile.path)'"], captureOutput: false)
        #expect(outcome.status == 0)
        #expect(outcome.output == "")
        let pid = try #require(Int32(String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(pid, SIGKILL) == 0)
    }
}
