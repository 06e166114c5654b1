import Foundation
import MusterCore
import Testing

/// Headless runs whose shell commands detach (`setsid`, double forks, a cleared environment):
/// after the run ends, a signal, a second signal, or a SIGKILL and the next start, none survives.
@Suite("Process cleanup end to end", .enabled(if: HeadlessProcess.binary != nil, "build muster first (swift build)"), .serialized)
struct ProcessCleanupTests {
    static let script = HeadlessProcess.fixtures.appendingPathComponent("processes.json")

    /// A unique tag for the sleeps of one test, so their processes can be found in /proc.
    private static func tag() -> String { "\(Int.random(in: 100_000...999_999))" }

    /// Every way a command can leave its process group, each a `sleep 300.<tag><n>`.
    private static func detachingCommand(_ tag: String) -> String {
        "setsid sleep 300.\(tag)1 & setsid -f sleep 300.\(tag)2; (setsid sh -c 'sleep 300.\(tag)3 &' &);"
            + " env -i /usr/bin/setsid -f /bin/sleep 300.\(tag)4;"
    }

    /// The test's sleeps still alive (not Muster or the shells, whose command lines hold the tag too).
    private static func survivors(_ tag: String) -> [Int32] {
        HeadlessProcess.processes(containing: "300.\(tag)").filter { pid in
            (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) == "sleep\n"
        }
    }

    private static func killSurvivors(_ tag: String) {
        for pid in survivors(tag) { kill(pid, SIGKILL) }
    }

    private static func waitForSleeps(_ tag: String, count: Int) async throws {
        try await HeadlessProcess.waitUntil(timeout: .seconds(30), what: "\(count) sleeps to start") {
            survivors(tag).count >= count
        }
    }

    @Test("processes that called setsid(), double-forked or cleared their environment do not outlive a run that finished")
    func detachedProcessesEndWithTheRun() async throws {
        let scratch = try HeadlessProcess.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let tag = Self.tag()
        defer { Self.killSurvivors(tag) }
        let muster = try HeadlessProcess(["-p", Self.detachingCommand(tag) + " echo started"], scratch: scratch, script: Self.script)
        defer { muster.stop() }
        #expect(try await muster.waitForExit() == 0)
        #expect(muster.standardOutput.contains("started"))
        // The call stops them before it returns: nothing to wait for after the exit.
        #expect(Self.survivors(tag).isEmpty, "survivors: \(Self.survivors(tag))")
    }

    @Test("/quit in a session whose worker detached processes and ignores SIGTERM leaves none running and says truthfully that they were killed")
    func quitStopsEverythingAndSaysWhatHappened() async throws {
        let scratch = try HeadlessProcess.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let tag = Self.tag()
        defer { Self.killSurvivors(tag) }
        let input = Pipe()
        let muster = try HeadlessProcess(["--plain"], scratch: scratch, script: Self.script, input: input)
        defer { muster.stop() }
        let command = ": bg; setsid -f sleep 300.\(tag)1; env -i /usr/bin/setsid -f /bin/sleep 300.\(tag)2; trap '' TERM; sleep 300.\(tag)3"
        input.fileHandleForWriting.write(Data((command + "\n").utf8))
        try await Self.waitForSleeps(tag, count: 3)
        // /quit asks while a background agent runs; the answer is a line of its own.
        input.fileHandleForWriting.write(Data("/quit\ny\n".utf8))
        #expect(try await muster.waitForExit() == 0)
        #expect(Self.survivors(tag).isEmpty, "survivors: \(Self.survivors(tag))")
        // The worker's shell ignored SIGTERM and was killed: never "did not stop" for it.
        // The last line is the session line (`Session … · resume: muster --resume …`); the one
        // before it says how the session's work ended.
        let lines = muster.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.last?.hasPrefix("Session ") == true, "output: \(muster.standardOutput)")
        let summary = lines.dropLast().last ?? ""
        // Whether the worker's task ended within the grace period depends on who kills first
        // (the shell tool's own SIGKILL or the exit); either way the summary says what happened.
        #expect([
            "1 background agent was cancelled at exit.",
            "1 background agent was cancelled at exit. Processes killed at exit (they did not stop): #1 worker.",
        ].contains(summary), "output: \(muster.standardOutput)")
    }

    @Test("a signal during a command that detached processes leaves none of them running",
          arguments: [(SIGTERM, Int32(143)), (SIGHUP, Int32(129)), (SIGINT, Int32(130))])
    func signalStopsDetachedProcesses(signal: Int32, status: Int32) async throws {
        let scratch = try HeadlessProcess.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let tag = Self.tag()
        defer { Self.killSurvivors(tag) }
        let muster = try HeadlessProcess(["-p", Self.detachingCommand(tag) + " sleep 300.\(tag)5"], scratch: scratch, script: Self.script)
        defer { muster.stop() }
        try await Self.waitForSleeps(tag, count: 5)
        muster.send(signal)
        #expect(try await muster.waitForExit() == status)
        #expect(Self.survivors(tag).isEmpty, "survivors: \(Self.survivors(tag))")
    }

    @Test("a stopped shell call whose command had grandchildren leaves no zombie of its group among Muster's children, and kill(-pgid, 0) finds no such group once the call has answered")
    func stoppedGroupIsReapedWhenTheCallAnswers() async throws {
        let scratch = try HeadlessProcess.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let tag = Self.tag()
        defer { Self.killSurvivors(tag) }
        // The first call runs into its timeout (a stop: SIGTERM to the group, from the
        // cancellation); the second, started only once the first answered, looks at Muster
        // (its shell's parent) from inside: its group, and the state and group of each child.
        let first = "echo $$ > pgid; sh -c 'sleep 300.\(tag)1' & sleep 300.\(tag)2; wait"
        let check = #"g=$(cat pgid); if kill -0 -$g 2>/dev/null; then echo "group $g left"; else echo "group $g gone"; fi; "#
            + #"for c in $(cat /proc/$PPID/task/*/children); do echo "child $(cut -d' ' -f3,5 /proc/$c/stat 2>/dev/null)"; done; echo checked"#
        let script = scratch.appendingPathComponent("stop.json")
        let calls: [[String: Any]] = [
            ["tools": [["tool": "shell", "args": ["command": first, "timeout_seconds": 2]]]],
            ["tools": [["tool": "shell", "args": ["command": check]]]],
            ["say": "Checked: {{last_tool_result}}", "chunk_delay_ms": 0],
        ]
        let document: [String: Any] = ["version": 1, "agents": ["main": ["scenarios": [["name": "stop", "turns": calls]]]]]
        try JSONSerialization.data(withJSONObject: document).write(to: script)
        let muster = try HeadlessProcess(["-p", "stop"], scratch: scratch, script: script)
        defer { muster.stop() }
        #expect(try await muster.waitForExit() == 0)
        let output = muster.standardOutput
        #expect(output.contains("checked"), "output: \(output)")
        let groupLine = try #require(output.split(separator: "\n").first { $0.contains("group ") })
        let words = groupLine.split(separator: " ").map(String.init)
        let group = try #require(words.firstIndex(of: "group").flatMap { $0 + 1 < words.count ? words[$0 + 1] : nil })
        #expect(Int32(group) ?? 0 > 1, "output: \(output)")
        #expect(groupLine.hasSuffix("group \(group) gone"), "output: \(output)")
        // "child <state> <pgrp>": none of the stopped group's, zombie or not.
        let children = output.split(separator: "\n").filter { $0.contains("child ") }
        #expect(!children.isEmpty, "output: \(output)")
        #expect(!children.contains { $0.hasSuffix(" \(group)") }, "output: \(output)")
        #expect(!children.contains { $0.contains("child Z") }, "output: \(output)")
        #expect(Self.survivors(tag).isEmpty, "survivors: \(Self.survivors(tag))")
    }

    @Test("a second SIGTERM exits at once and still kills every process, also those that ignore SIGTERM")
    func secondSignalKillsEverything() async throws {
        let scratch = try HeadlessProcess.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let tag = Self.tag()
        defer { Self.killSurvivors(tag) }
        // In a background worker, so that the first signal shows at once (the worker is stopping).
        let command = ": bg; trap '' TERM; setsid -f sleep 300.\(tag)1; sleep 300.\(tag)2"
        let muster = try HeadlessProcess(["-p", command, "--output-format", "stream-json"], scratch: scratch, script: Self.script)
        defer { muster.stop() }
        try await Self.waitForSleeps(tag, count: 2)
        try await muster.waitForOutput { $0.contains("The worker runs.") }
        let before = muster.standardOutput.count
        let start = ContinuousClock.now
        muster.send(SIGTERM)
        // A signal sent before the first was taken would merge with it in the kernel.
        try await muster.waitForOutput { $0.count > before }
        muster.send(SIGTERM)
        #expect(try await muster.waitForExit() == 143)
        #expect(ContinuousClock.now - start < .seconds(1), "the second signal does not wait for the grace period")
        #expect(Self.survivors(tag).isEmpty, "survivors: \(Self.survivors(tag))")
    }

    @Test("after a SIGKILL of Muster, the next start kills the tool processes it left and says so")
    func nextStartStopsSurvivorsOfAKilledSession() async throws {
        let scratch = try HeadlessProcess.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let tag = Self.tag()
        defer { Self.killSurvivors(tag) }
        let command = "setsid -f sleep 300.\(tag)1; sleep 300.\(tag)2"
        let muster = try HeadlessProcess(["-p", command, "--output-format", "stream-json"], scratch: scratch, script: Self.script)
        defer { muster.stop() }
        try await muster.waitForOutput { $0.contains(#""type":"tool_process""#) }
        try await Self.waitForSleeps(tag, count: 2)
        muster.send(SIGKILL)
        #expect(try await muster.waitForExit() == 128 + SIGKILL)
        // Nothing could stop them: the attack worked.
        #expect(Self.survivors(tag).count == 2)
        let log = try HeadlessProcess.records(String(contentsOf: muster.sessionLog(), encoding: .utf8))
        let started = log.compactMap { record -> ToolProcessRecord? in
            if case .toolProcess(let process) = record.event { return process } else { return nil }
        }
        #expect(started.count == 1 && started.first?.event == .started)

        let next = try HeadlessProcess(["-p", "quick"], scratch: scratch, script: Self.script)
        defer { next.stop() }
        #expect(try await next.waitForExit() == 0)
        // The shell that ran the command, its sleep, and the sleep that left with setsid.
        #expect(next.standardError.contains("Stopped 3 processes its tools left running."), "stderr: \(next.standardError)")
        try await HeadlessProcess.waitUntil(timeout: .seconds(5), what: "the survivors to die") { Self.survivors(tag).isEmpty }
    }

    @Test("SIGTERM exits with 143 within 3 s while the model never returns (a catastrophic scenario match)")
    func signalDuringAStuckModel() async throws {
        let scratch = try HeadlessProcess.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let prompt = String(repeating: "a", count: 64) + "!"
        let muster = try HeadlessProcess(["-p", prompt, "--output-format", "stream-json"], scratch: scratch, script: Self.script)
        defer { muster.stop() }
        try await muster.waitForOutput { $0.contains(#""type":"turn_start""#) }
        let start = ContinuousClock.now
        muster.send(SIGTERM)
        #expect(try await muster.waitForExit(timeout: .seconds(10)) == 143)
        #expect(ContinuousClock.now - start < .seconds(3))
        // The match is bounded (it gives up after a second) and stoppable, so the orderly shutdown
        // ends it; past it the script's next scenario waits an hour, so a signal that comes late
        // (a loaded machine) still finds a model that has not returned, never a finished run.
        // The forced exit at the deadline (ExitDeadlineTests) is the net when something still hangs.
    }

    @Test("in plain mode too, SIGTERM exits with 143 within 3 s while the model never returns")
    func plainSignalDuringAStuckModel() async throws {
        let scratch = try HeadlessProcess.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let input = Pipe()
        let muster = try HeadlessProcess(["--plain"], scratch: scratch, script: Self.script, input: input)
        defer { muster.stop() }
        let prompt = String(repeating: "a", count: 64) + "!"
        input.fileHandleForWriting.write(Data((prompt + "\n").utf8))
        try await muster.waitForOutput { $0.contains(prompt) }
        let start = ContinuousClock.now
        muster.send(SIGTERM)
        #expect(try await muster.waitForExit(timeout: .seconds(10)) == 143)
        #expect(ContinuousClock.now - start < .seconds(3))
    }

    @Test("SIGTERM exits with 143 within 3 s while a tool ignores SIGTERM, and kills it")
    func signalDuringAToolThatIgnoresIt() async throws {
        let scratch = try HeadlessProcess.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let tag = Self.tag()
        defer { Self.killSurvivors(tag) }
        let muster = try HeadlessProcess(["-p", "trap '' TERM; sleep 300.\(tag)1"], scratch: scratch, script: Self.script)
        defer { muster.stop() }
        try await Self.waitForSleeps(tag, count: 1)
        let start = ContinuousClock.now
        muster.send(SIGTERM)
        #expect(try await muster.waitForExit(timeout: .seconds(10)) == 143)
        #expect(ContinuousClock.now - start < .seconds(3))
        #expect(Self.survivors(tag).isEmpty, "survivors: \(Self.survivors(tag))")
    }
}
