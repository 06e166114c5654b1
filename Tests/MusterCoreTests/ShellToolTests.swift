import Clocks
import Foundation
import Testing
@testable import MusterCore

@Suite("shell")
struct ShellToolTests {
    let fixture: WorkspaceFixture

    init() throws {
        fixture = try WorkspaceFixture()
    }

    @Test("Streams each output line as progress and returns the output with the exit status")
    func streamsAndCollects() async throws {
        let harness = ToolCallHarness(workspace: fixture.root)
        let output = try await ShellTool().call(["command": "echo one; echo two >&2; printf three"], in: harness)
        #expect(output == ToolOutput("one\ntwo\nthree\n[exit status 0]"))
        #expect(await harness.reportedLines() == ["one", "two", "three"])
    }

    @Test("Runs in the workspace directory")
    func workingDirectory() async throws {
        let output = try await ShellTool().call(["command": "pwd -P"], in: ToolCallHarness(workspace: fixture.root))
        #expect(output.content == "\(fixture.realRoot)\n[exit status 0]")
    }

    @Test("Reports a non-zero exit status and death by signal as errors")
    func failures() async throws {
        let harness = ToolCallHarness(workspace: fixture.root)
        #expect(try await ShellTool().call(["command": "echo oops >&2; exit 3"], in: harness)
            == .error("oops\n[exit status 3]"))
        #expect(try await ShellTool().call(["command": "kill -9 $$"], in: harness)
            == .error("(no output)\n[terminated by signal 9 (SIGKILL)]"))
    }

    @Test("Decodes output that is not valid UTF-8 with replacement characters")
    func invalidUTF8() async throws {
        let harness = ToolCallHarness(workspace: fixture.root)
        let output = try await ShellTool().call(["command": #"printf 'caf\351 ok\n\377\376\n'"#], in: harness)
        #expect(output == ToolOutput("caf\u{FFFD} ok\n\u{FFFD}\u{FFFD}\n[exit status 0]"))
        #expect(await harness.reportedLines() == ["caf\u{FFFD} ok", "\u{FFFD}\u{FFFD}"])
    }

    @Test("Keeps the start and the end of long output and says how much was left out")
    func trimsLongOutput() async throws {
        let harness = ToolCallHarness(workspace: fixture.root)
        let output = try await ShellTool().call(["command": "seq 1 20000"], in: harness)
        #expect(output.content.hasPrefix("1\n2\n3\n"))
        #expect(output.content.hasSuffix("\n19999\n20000\n[exit status 0]"))
        #expect(output.content.contains(" lines of output omitted] …"))
        #expect(output.content.utf8.count < 32_000)
        #expect(await harness.reportedLines().count == 20_000)
    }

    @Test("Bad arguments get clear errors")
    func argumentErrors() async throws {
        let harness = ToolCallHarness(workspace: fixture.root)
        let tool = ShellTool()
        #expect(try await tool.call([:], in: harness) == .error("Missing argument \"command\": expected a string."))
        #expect(try await tool.call(["command": "  "], in: harness) == .error("command is empty: give a shell command to run."))
        #expect(try await tool.call(["command": "true", "timeout_seconds": 0], in: harness)
            == .error("timeout_seconds must be more than 0 and at most 86400, not 0."))
        #expect(try await tool.call(["command": "true", "timeout_seconds": -1.5], in: harness)
            == .error("timeout_seconds must be more than 0 and at most 86400, not -1.5."))
        let gone = fixture.root.appendingPathComponent("gone")
        #expect(try await tool.call(["command": "true"], in: ToolCallHarness(workspace: gone))
            == .error("The workspace \(gone.path) does not exist or is not a directory."))
        #expect(try await tool.call(["command": "true", "timeout_seconds": "soon"], in: harness)
            == .error("Invalid argument \"timeout_seconds\": expected a number, found a string."))
    }

    @Test("A timeout stops the command and every process of its group")
    func timeout() async throws {
        let clock = TestClock()
        let tool = ShellTool(grace: .seconds(2), clock: clock)
        let harness = ToolCallHarness(workspace: fixture.root)
        let call = Task {
            try await tool.call(["command": #"echo "leader $$"; sleep 30 & wait"#, "timeout_seconds": 5], in: harness)
        }
        let pids = await Self.readPIDs(["leader"], from: harness.progress)
        let leader = try #require(pids["leader"])
        #expect(!ProcessWatch.livingMembers(ofGroup: leader).isEmpty)

        await clock.advance(by: .seconds(6))
        let output = try await call.value
        #expect(output == .error("leader \(leader)\n[Timed out after 5 s: the command and every process it started were stopped.]"))
        #expect(await ProcessWatch.waitUntil(deadline: .now + .seconds(5)) {
            ProcessWatch.livingMembers(ofGroup: leader).isEmpty
        })
    }

    @Test("Cancelling the calling task ends the shell, its children and its grandchildren")
    func cancellationEndsTheWholeGroup() async throws {
        let harness = ToolCallHarness(workspace: fixture.root)
        let command = """
            echo "leader $$"
            sh -c 'sleep 30 & echo "grandchild $!"; wait' &
            echo "child $!"
            wait
            """
        let call = Task { try await ShellTool().run(["command": .string(command)], context: harness.context) }
        let pids = await Self.readPIDs(["leader", "child", "grandchild"], from: harness.progress)
        let leader = try #require(pids["leader"])
        let descendants = [try #require(pids["child"]), try #require(pids["grandchild"])]
        // The command runs in a process group of its own, which holds its descendants.
        #expect(leader != getpgrp())
        #expect(descendants.map(ProcessWatch.groupID(of:)) == [leader, leader])
        #expect(descendants.allSatisfy(ProcessWatch.isAlive))

        call.cancel()
        await #expect(throws: CancellationError.self) { try await call.value }
        #expect(await ProcessWatch.waitUntil(deadline: .now + .seconds(5)) {
            ProcessWatch.livingMembers(ofGroup: leader).isEmpty
        })
        #expect(!([leader] + descendants).contains(where: ProcessWatch.isAlive))
    }

    @Test("A process that ignores SIGTERM is killed once the grace period is over")
    func sigkillAfterGrace() async throws {
        let harness = ToolCallHarness(workspace: fixture.root)
        let command = """
            echo "leader $$"
            sh -c 'trap "" TERM; sleep 30 & echo "stubborn $!"; wait' &
            wait
            """
        let call = Task {
            try await ShellTool(grace: .milliseconds(200)).run(["command": .string(command)], context: harness.context)
        }
        let pids = await Self.readPIDs(["leader", "stubborn"], from: harness.progress)
        let leader = try #require(pids["leader"])
        let stubborn = try #require(pids["stubborn"])

        call.cancel()
        await #expect(throws: CancellationError.self) { try await call.value }
        #expect(await ProcessWatch.waitUntil(deadline: .now + .seconds(5)) {
            ProcessWatch.livingMembers(ofGroup: leader).isEmpty
        })
        #expect(!ProcessWatch.isAlive(stubborn))
    }

    @Test("Background processes do not outlive a command that finished")
    func backgroundProcessesAreStopped() async throws {
        let harness = ToolCallHarness(workspace: fixture.root)
        let output = try await ShellTool().call(["command": #"sleep 30 & echo "background $!""#], in: harness)
        let background = try #require(pid_t(output.content.split(whereSeparator: \.isWhitespace)[1]))
        #expect(output == ToolOutput("background \(background)\n[exit status 0]"))
        #expect(await ProcessWatch.waitUntil(deadline: .now + .seconds(5)) { !ProcessWatch.isAlive(background) })
    }

    @Test("Processes that call setsid() or double-fork out of the group do not outlive a command that finished")
    func detachedProcessesAreStopped() async throws {
        let tag = Int.random(in: 100_000...999_999)
        let command = """
            setsid sleep 300.\(tag)1 &
            setsid -f sleep 300.\(tag)2
            (setsid sh -c 'sleep 300.\(tag)3 &' &)
            echo started
            """
        let harness = ToolCallHarness(workspace: fixture.root)
        defer { for pid in ProcessWatch.sleeps(containing: "300.\(tag)") { kill(pid, SIGKILL) } }
        let output = try await ShellTool().call(["command": .string(command)], in: harness)
        #expect(output == ToolOutput("started\n[exit status 0]"))
        // Stopped before the call returned: the call waits for them to go.
        #expect(ProcessWatch.sleeps(containing: "300.\(tag)").isEmpty)
    }

    @Test("Cancelling a call also stops the processes it detached with setsid()")
    func cancellationStopsDetachedProcesses() async throws {
        let tag = Int.random(in: 100_000...999_999)
        let harness = ToolCallHarness(workspace: fixture.root)
        defer { for pid in ProcessWatch.sleeps(containing: "300.\(tag)") { kill(pid, SIGKILL) } }
        let command = "setsid -f sleep 300.\(tag)1; echo \"leader $$\"; sleep 300.\(tag)2"
        let call = Task { try await ShellTool().run(["command": .string(command)], context: harness.context) }
        _ = await Self.readPIDs(["leader"], from: harness.progress)
        #expect(await ProcessWatch.waitUntil(deadline: .now + .seconds(10)) {
            ProcessWatch.sleeps(containing: "300.\(tag)").count == 2
        })
        call.cancel()
        await #expect(throws: CancellationError.self) { try await call.value }
        #expect(ProcessWatch.sleeps(containing: "300.\(tag)").isEmpty)
    }

    @Test("Every process of a call carries the call's marker in its environment, and the call is forgotten when it ends")
    func marksTheCallsProcesses() async throws {
        let harness = ToolCallHarness(workspace: fixture.root)
        let output = try await ShellTool().call(["command": "echo $MUSTER_TOOL_CALL $$; sh -c 'echo $MUSTER_TOOL_CALL'"], in: harness)
        let lines = output.content.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        let marker = try #require(lines.first?.first)
        let leader = try #require(lines.first?.last.flatMap { pid_t($0) })
        #expect(marker.hasPrefix(ToolProcessRegistry.shared.tag + "-"))
        #expect(lines.dropFirst().first == [marker], "a child inherits the marker")
        #expect(!ToolProcessRegistry.shared.liveGroups.contains { $0.id == leader })
    }

    /// Reads progress lines `name pid` until every name has a pid (or the stream ends).
    private static func readPIDs(_ names: Set<String>, from progress: AsyncStream<String>) async -> [String: pid_t] {
        var pids: [String: pid_t] = [:]
        for await line in progress {
            let parts = line.split(separator: " ")
            if parts.count == 2, names.contains(String(parts[0])), let pid = pid_t(parts[1]) {
                pids[String(parts[0])] = pid
            }
            if pids.count == names.count { break }
        }
        return pids
    }
}

@Suite("Shell output handling")
struct ShellOutputHandlingTests {
    private func lines(_ bytes: [UInt8], maxLineBytes: Int = 100, carriageReturnRestartsLine: Bool = false) -> [LineSplitter.Line] {
        var splitter = LineSplitter(maxLineBytes: maxLineBytes, carriageReturnRestartsLine: carriageReturnRestartsLine)
        var lines: [LineSplitter.Line] = []
        // Fed one byte at a time: line ends and UTF-8 sequences may straddle reads.
        for byte in bytes { splitter.append([byte]) { lines.append($0) } }
        if let last = splitter.finish() { lines.append(last) }
        return lines
    }

    @Test("Splits at newlines, drops CRLF terminators and keeps a last line without newline")
    func splitting() {
        #expect(lines(Array("a\r\nb\n\nc".utf8)).map(\.text) == ["a", "b", "", "c"])
    }

    @Test("A lone carriage return restarts the line when asked, as a terminal shows progress bars")
    func carriageReturn() {
        let bytes = Array("10%\r50%\r100%\ndone\n".utf8)
        #expect(lines(bytes, carriageReturnRestartsLine: true).map(\.text) == ["100%", "done"])
        #expect(lines(bytes).map(\.text) == ["10%\r50%\r100%", "done"])
    }

    @Test("Cuts a long line at the limit without splitting a character, and counts its full length")
    func longLine() {
        let bytes = Array(("ab" + String(repeating: "é", count: 10) + "\n").utf8)
        let cut = lines(bytes, maxLineBytes: 5)
        #expect(cut == [LineSplitter.Line(text: "abé", byteCount: 22, isTruncated: true)])
    }

    @Test("Keeps the first and last lines within budget and counts the omitted ones")
    func collector() {
        var collector = ShellOutputCollector(headLimit: 4, tailLimit: 4)
        for line in ["a", "b", "c", "d", "e", "f"] { collector.add(line) }
        #expect(collector.text == "a\nb\n… [2 lines of output omitted] …\ne\nf")
        #expect(collector.totalLines == 6)
    }

    @Test("Parses a /proc stat line whose command name holds spaces and parentheses")
    func parsesProcStat() {
        let status = ProcessStatus.parse("4242 (we (ird) name) S 1 4240 4240 0 -1 4194560")
        #expect(status == ProcessStatus(state: "S", parentID: 1, groupID: 4240, sessionID: 4240))
        let full = ProcessStatus.parse("77 (sleep) S 1 77 77 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 123456 8192 200")
        #expect(full?.startTime == 123456)
        #expect(ProcessStatus.parse("garbage") == nil)
        #expect(ProcessStatus.parse("5 (x) S 1 abc 5 0") == nil)
        #expect(ProcessStatus.parse("5 (x) S 1 5") == nil)
    }

    @Test("A group stop that finds the group empty hands its /proc table to the cleanup; a living group is stopped")
    func terminateKeepingTable() async throws {
        // No such group: nothing to list.
        let none = try #require(ProcessGroup(id: 99_999_998))
        let empty = await none.terminateKeepingTable(grace: .seconds(2), clock: ContinuousClock())
        #expect(empty.neededKill == false && empty.table == nil)
        // A group of its own that obeys SIGTERM: stopped, no SIGKILL, no table.
        var child: pid_t = 0
        var attributes: posix_spawnattr_t = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A group of its own, and an empty signal mask (a pool thread blocks SIGTERM, and a
        // spawned child would inherit that).
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        let arguments = ["/bin/sleep", "30"]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        #expect(posix_spawn(&child, "/bin/sleep", nil, &attributes, &argv, environ) == 0)
        let group = try #require(ProcessGroup(id: child))
        let stopped = await group.terminateKeepingTable(grace: .seconds(2), clock: ContinuousClock())
        #expect(stopped.neededKill == false && stopped.table == nil)
        var status: Int32 = 0
        #expect(waitpid(child, &status, 0) == child)
        // Reaped and gone: the group is empty at the first look.
        #expect(!group.hasLivingMembers)
    }

    /// Spawns `/bin/sleep 30` as a child of this process in process group `group` (0: a group
    /// of its own), with an empty signal mask.
    private static func spawnSleep(inGroup group: pid_t) throws -> pid_t {
        var child: pid_t = 0
        var attributes: posix_spawnattr_t = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, group)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        let arguments = ["/bin/sleep", "30"]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let result = posix_spawn(&child, "/bin/sleep", nil, &attributes, &argv, environ)
        guard result == 0 else { throw ToolError("posix_spawn: \(result)") }
        return child
    }

    @Test("A group member that is a zombie child of this process (an adopted orphan) is reaped by pid, so kill(-pgid, 0) says the group is gone; the leader's exit status is left to its spawner")
    func reapsAdoptedMembers() async throws {
        // A leader and a second member, both children of this process (as the shell's orphans
        // are children of Muster, their subreaper): no subreaper needed to make the situation.
        let leader = try Self.spawnSleep(inGroup: 0)
        let member = try Self.spawnSleep(inGroup: leader)
        // Whatever is not reaped by the end (a failed expectation) is killed and reaped here;
        // a reaped pid is never signalled (it may belong to another process by then).
        var memberReaped = false
        var leaderReaped = false
        defer {
            var status: Int32 = 0
            if !memberReaped { kill(member, SIGKILL); _ = waitpid(member, &status, 0) }
            if !leaderReaped { kill(leader, SIGKILL); _ = waitpid(leader, &status, 0) }
        }
        let group = try #require(ProcessGroup(id: leader))
        let children = try #require(ProcessTable.ownChildren())
        #expect(children.contains(leader) && children.contains(member), "children: \(children)")
        #expect(Set(try #require(group.reapAdoptedMembers())) == [leader, member])

        // The member dies (its exit as an event: a pidfd): a zombie of this process, so the
        // group still answers kill(-pgid, 0) although nothing in it lives.
        kill(member, SIGTERM)
        #expect(await ProcessGroup.waitForExits(within: .seconds(10)) { ProcessWatch.isAlive(member) ? [member] : [] } == true)
        #expect(kill(member, 0) == 0, "a zombie until reaped")
        #expect(group.reapAdoptedMembers() == [leader])
        var status: Int32 = 0
        let afterReap = waitpid(member, &status, WNOHANG)
        #expect(afterReap == -1 && errno == ECHILD, "reaped")
        memberReaped = afterReap == -1 || afterReap == member
        #expect(try #require(ProcessTable.ownChildren()).contains(member) == false)
        #expect(group.membersToWaitFor() == [leader])

        // The leader dies too: never reaped here (its spawner, swift-subprocess for a shell,
        // takes its exit status), so the group is still seen until that happens.
        kill(leader, SIGTERM)
        #expect(await ProcessGroup.waitForExits(within: .seconds(10)) { ProcessWatch.isAlive(leader) ? [leader] : [] } == true)
        #expect(group.reapAdoptedMembers() == [])
        #expect(!group.isGone)
        #expect(waitpid(leader, &status, WNOHANG) == leader, "the leader's status was kept for its spawner")
        leaderReaped = true
        #expect(status & 0x7f == SIGTERM, "killed by SIGTERM")
        // Now empty without a listing of /proc: the first look of a stop finds nothing.
        #expect(group.isGone)
        #expect(!group.hasLivingMembers)
        #expect(group.membersToWaitFor() == [])
        let stopped = await group.terminateKeepingTable(grace: .seconds(2), clock: ContinuousClock())
        #expect(stopped.neededKill == false && stopped.table == nil)
    }

    @Test("Reads this process's own /proc stat line and lists it among /proc's pids")
    func readsOwnProcStat() {
        let me = getpid()
        let status = ProcessStatus.read(pid: me)
        #expect(status?.parentID == getppid())
        #expect(status?.groupID == getpgrp())
        #expect(status?.sessionID == getsid(0))
        #expect(status?.isAlive == true)
        #expect((status?.startTime ?? 0) > 0)
        // A pid that cannot exist (above pid_max's ceiling).
        #expect(ProcessStatus.read(pid: 99_999_999) == nil)
        var pids: [pid_t] = []
        #expect(ProcessTable.forEachProcessID { pids.append($0) })
        #expect(pids.contains(me))
        #expect(pids.contains(1))
        #expect(ProcessTable.read().processes[me]?.startTime == status?.startTime)
    }
}
