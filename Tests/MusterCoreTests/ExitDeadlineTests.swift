import Foundation
import Testing
@testable import MusterCore

@Suite("The hard shutdown deadline")
struct ExitDeadlineTests {
    @Test("once armed it exits with the armed code at the deadline, says what is left undone, and a second arm is 'now'")
    func firesAtTheDeadline() async {
        let (exits, exited) = AsyncStream<Int32>.makeStream()
        let reports = Locked<[String]>([])
        let deadline = ExitDeadline(
            processes: ToolProcessRegistry(tag: "exit-deadline-test"), unfinished: "The answer may be missing.",
            grace: .milliseconds(20), limit: .milliseconds(50),
            exit: { exited.yield($0) },
            report: { line in reports.withLock { $0.append(line) } }
        )
        #expect(deadline.arm(for: .terminated))
        #expect(!deadline.arm(for: .hangup), "a second request is the caller's 'exit now'")
        var iterator = exits.makeAsyncIterator()
        #expect(await iterator.next() == 143, "the first signal's code, not the second's")
        let said = reports.withLock { $0 }
        #expect(said.count == 1)
        #expect(said.first?.hasPrefix("muster: the shutdown did not finish within 50ms") == true, "\(said)")
        #expect(said.first?.hasSuffix("The answer may be missing.") == true)
    }

    @Test("a deadline that is never armed never exits")
    func unarmedNeverFires() async throws {
        let fired = Locked(false)
        let deadline = ExitDeadline(
            processes: ToolProcessRegistry(tag: "exit-deadline-test"), grace: .milliseconds(1), limit: .milliseconds(1),
            exit: { _ in fired.withLock { $0 = true } }, report: { _ in }
        )
        // Armed on a second deadline object, which does fire: the first one's timers stay far off.
        let (exits, exited) = AsyncStream<Int32>.makeStream()
        let other = ExitDeadline(processes: ToolProcessRegistry(tag: "exit-deadline-test"), grace: .milliseconds(1), limit: .milliseconds(5), exit: { exited.yield($0) }, report: { _ in })
        other.arm(for: .interrupted)
        var iterator = exits.makeAsyncIterator()
        #expect(await iterator.next() == 130)
        #expect(!fired.withLock { $0 })
        withExtendedLifetime(deadline) {}
    }

    @Test("killing every tool process in a process that did not adopt orphans (a test runner) leaves its other children alone")
    func killAllSparesOtherChildren() throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["30"]
        try child.run()
        defer { child.terminate() }
        ToolProcessRegistry(tag: "exit-deadline-test").killAll(limit: .milliseconds(50))
        // Before, every descendant was SIGKILLed: another test's muster died with status 137.
        #expect(kill(child.processIdentifier, 0) == 0)
        #expect(child.isRunning)
    }
}

