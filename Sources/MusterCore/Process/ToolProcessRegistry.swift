import CMusterSystem
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The process-wide record of every process a tool call started, however it detached: live
/// process groups, calls that run, and the orphans Muster adopts as a child subreaper.
///
/// How a process is found and attributed to its call (Muster's own descendants only):
/// - its process group, which the shell tool creates for each call;
/// - the variable `MUSTER_TOOL_CALL=<muster pid>.<start time>-<call>` in its environment,
///   which every process the call starts inherits, also after `setsid()` and double forks,
///   and which is read from `/proc/<pid>/environ` even after Muster lost it as a descendant;
/// - when Muster is a child subreaper, every orphan reparents to it: an orphan without a
///   readable marker of a running call (it cleared its environment) belongs to whichever call
///   could have made it, so it is stopped when a call ends and no other call runs, and at exit.
public final class ToolProcessRegistry: Sendable {
    /// The one registry of this process: signals and exit paths must reach every group.
    public static let shared = ToolProcessRegistry()

    /// The environment variable that marks a call's processes.
    public static let markerVariable = "MUSTER_TOOL_CALL"

    /// Time between two looks at whether stopped processes are gone.
    static let pollInterval: Duration = .milliseconds(20)

    private struct Call {
        var callID: String
        var taskID: TaskID?
        var group: ProcessGroup?
        var startTime: UInt64 = 0
    }

    private struct State {
        var adoptsOrphans = false
        /// Every child of this process is a tool's (the executable says so by adopting orphans):
        /// only then may the exit paths kill every descendant. A test runner has other children.
        var ownsDescendants = false
        var calls: [Int: Call] = [:]
        var nextToken = 1
        var observer: (@Sendable (ToolProcessEvent) -> Void)?
        /// Tasks whose processes had to be killed with SIGKILL (they ignored SIGTERM or the exit came first).
        var killedTasks: Set<TaskID> = []
    }

    // Guards every field of the registry's state; observers are called outside it.
    private let state = Locked(State())
    /// `<pid>.<start time>`: tells this Muster's markers from those of another Muster.
    let tag: String

    /// `tag` is for tests: a registry of its own must not find the shared one's processes.
    init(tag: String? = nil) {
        let pid = getpid()
        self.tag = tag ?? "\(pid).\(ProcessStatus.read(pid: pid)?.startTime ?? 0)"
    }

    // MARK: Set-up

    /// Makes this process a child subreaper, so that orphans of tool processes reparent to it and
    /// can be stopped and reaped; only the executable should (a test runner has other children).
    /// Returns a reason when the system refused.
    ///
    /// `ownsDescendants: false` adopts orphans without letting the exit paths (`killAll`) kill
    /// every descendant: for a benchmark that measures stops the way the executable does them,
    /// in a process that has children of its own (then `ceaseAdoptingOrphans` after it).
    @discardableResult
    public func adoptOrphans(ownsDescendants: Bool = true) -> String? {
        if ownsDescendants { state.withLock { $0.ownsDescendants = true } }
        guard muster_become_child_subreaper() == 0 else {
            return "Cannot become a child subreaper (\(String(cString: strerror(errno)))): processes that detach from a tool call are found by their environment only."
        }
        state.withLock { $0.adoptsOrphans = true }
        return nil
    }

    /// Stops adopting orphans (they go to init again); for a benchmark, after its measurement.
    public func ceaseAdoptingOrphans() {
        state.withLock { $0.adoptsOrphans = false }
        _ = muster_set_child_subreaper(0)
    }

    /// Calls `observer` for every tool process group that starts or ends (the session log records them).
    public func observe(_ observer: (@Sendable (ToolProcessEvent) -> Void)?) {
        state.withLock { $0.observer = observer }
    }

    /// Tasks whose tool processes had to be killed with SIGKILL so far.
    public var killedTasks: Set<TaskID> { state.withLock { $0.killedTasks } }

    /// Live process groups of running calls.
    public var liveGroups: [ProcessGroup] { state.withLock { $0.calls.values.compactMap(\.group) } }

    // MARK: Calls

    /// Registers a call before it starts any process; the returned handle marks, records and stops its processes.
    func beginCall(callID: String, taskID: TaskID?) -> ToolProcessCall {
        let token = state.withLock { state in
            defer { state.nextToken += 1 }
            state.calls[state.nextToken] = Call(callID: callID, taskID: taskID)
            return state.nextToken
        }
        return ToolProcessCall(registry: self, token: token, marker: "\(tag)-\(token)")
    }

    /// The call's first process (its group leader) started.
    func spawned(token: Int, group: ProcessGroup, marker: String) {
        let startTime = ProcessStatus.read(pid: group.id)?.startTime ?? 0
        let (observer, call) = state.withLock { state -> ((@Sendable (ToolProcessEvent) -> Void)?, Call?) in
            state.calls[token]?.group = group
            state.calls[token]?.startTime = startTime
            return (state.observer, state.calls[token])
        }
        if let observer, let call {
            observer(ToolProcessEvent(kind: .started, processGroup: group.id, startTime: startTime, marker: marker, callID: call.callID, taskID: call.taskID))
        }
    }

    /// The call's group has been stopped: stops what else it left (by marker, and adopted orphans
    /// when no other call runs), reaps adopted zombies, and forgets the call.
    func finish(token: Int, marker: String, grace: Duration, groupNeededKill: Bool, table: ProcessTable? = nil) async {
        var killed = groupNeededKill
        var given = table
        // Nothing can be left when Muster adopts orphans and has no child but running calls'
        // shells: then the marker search (a listing of /proc and the environments of the
        // processes started since the call, 1.5–3 ms here) is skipped. Otherwise (a process
        // detached with `setsid` or a double fork, another call starting, a test runner that
        // adopts nothing) it runs as before.
        let searchNeeded = table != nil || !nothingLeft(besides: token)
        // A few rounds: a stopped orphan's own children reparent to Muster only once it died.
        for _ in 0..<(searchNeeded ? 5 : 0) {
            let targets = leftovers(of: token, marker: marker, table: given ?? ProcessTable.read())
            given = nil
            if targets.isEmpty { break }
            if await stop(targets, grace: grace) { killed = true }
        }
        let (observer, call, stillSpawning) = state.withLock { state in
            let call = state.calls.removeValue(forKey: token)
            if killed, let task = call?.taskID { state.killedTasks.insert(task) }
            return (state.observer, call, state.calls.values.contains { $0.group == nil })
        }
        if !stillSpawning { reapAdoptedZombies() }
        if let observer, let call, let group = call.group {
            observer(ToolProcessEvent(kind: .ended, processGroup: group.id, startTime: call.startTime, marker: marker, callID: call.callID, taskID: call.taskID))
        }
    }

    /// True when Muster adopts orphans and every child it has is the shell of another running
    /// call (zombie orphans are reaped on the way): whatever the call `token` started and is
    /// still alive would be a child of Muster, or a descendant of one, since orphans reparent
    /// to it; so nothing of the call is left. False whenever that cannot be known so cheaply.
    private func nothingLeft(besides token: Int) -> Bool {
        let (adopts, leaders, spawning) = state.withLock { state in
            (state.adoptsOrphans, Set(state.calls.compactMap { $0.key == token ? nil : $0.value.group?.id }),
             state.calls.contains { $0.key != token && $0.value.group == nil })
        }
        // A call between spawning its shell and registering it has a child not known yet.
        guard adopts, !spawning, let children = ProcessTable.ownChildren() else { return false }
        for child in children where !leaders.contains(child) {
            guard reapIfZombie(child) else { return false }
        }
        return true
    }

    /// Reaps `pid` if it is a zombie child of Muster, through a pidfd taken before its status is
    /// read (no reused pid is ever reaped). True when it was a zombie (or is gone already).
    /// Only for a child that is no running call's shell: those are swift-subprocess's to reap.
    private func reapIfZombie(_ pid: pid_t) -> Bool {
        let descriptor = muster_pidfd_open(pid)
        guard descriptor >= 0 else { return errno == ESRCH }
        defer { close(descriptor) }
        guard let status = ProcessStatus.read(pid: pid) else { return true }
        guard !status.isAlive else { return false }
        _ = muster_reap_pidfd(descriptor)
        return true
    }

    /// Living processes that belong to the call `token` and no other running call.
    private func leftovers(of token: Int, marker: String, table: ProcessTable) -> [pid_t] {
        let (adopts, others, since) = state.withLock { state in
            (state.adoptsOrphans, state.calls.filter { $0.key != token }, state.calls[token]?.startTime ?? 0)
        }
        let entry = "\(Self.markerVariable)=\(marker)"
        let me = getpid()
        var targets = Set<pid_t>()
        // Only a process started since the call's shell can carry its marker (every one descends
        // from that shell): the environments of older processes, most of the system, are not read.
        for (pid, status) in table.processes where status.isAlive && pid != me && status.startTime >= since {
            if ProcessTable.environment(of: pid, contains: entry) { targets.insert(pid) }
        }
        if adopts {
            let leaders = Set(others.values.compactMap { $0.group?.id })
            let ourPrefix = "\(Self.markerVariable)=\(tag)-"
            for child in table.children(of: getpid()) where !leaders.contains(child) {
                let ownerToken = ProcessTable.environmentEntries(of: child, withPrefix: ourPrefix).first
                    .flatMap { Int($0.dropFirst(ourPrefix.count)) }
                let belongsHere: Bool = if let ownerToken {
                    ownerToken == token || others[ownerToken] == nil
                } else {
                    // Unmarked (environment cleared, or not yet exec'd): only this call can have made it.
                    others.isEmpty
                }
                guard belongsHere else { continue }
                for pid in [child] + table.descendants(of: child) where table.processes[pid]?.isAlive == true {
                    targets.insert(pid)
                }
            }
        }
        return Array(targets)
    }

    /// SIGTERM (and SIGCONT), up to `grace` for them to go, then SIGKILL; true when SIGKILL was needed.
    private func stop(_ pids: [pid_t], grace: Duration) async -> Bool {
        if grace <= .zero {
            for pid in pids { kill(pid, SIGKILL) }
            return true
        }
        for pid in pids {
            kill(pid, SIGTERM)
            kill(pid, SIGCONT)
        }
        // Their exits as events (pidfds), as a group's are; a 20 ms poll only where pidfds are missing.
        if let gone = await ProcessGroup.waitForExits(within: grace, living: { pids.filter(Self.isAlive) }) {
            if gone { return false }
            for pid in pids { kill(pid, SIGKILL) }
            return true
        }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: grace)
        while pids.contains(where: Self.isAlive) {
            guard clock.now < deadline else {
                for pid in pids { kill(pid, SIGKILL) }
                return true
            }
            // Cancelled despite the contract (the caller runs this in an uncancelled task): kill now.
            do { try await clock.sleep(for: Self.pollInterval) } catch {
                for pid in pids { kill(pid, SIGKILL) }
                return true
            }
        }
        return false
    }

    private static func isAlive(_ pid: pid_t) -> Bool {
        ProcessStatus.read(pid: pid)?.isAlive ?? false
    }

    /// Reaps the zombies among Muster's direct children that are no call's group leader: adopted
    /// orphans. Each by its own pid (`waitid(P_PID)`), never `waitpid(-1)`, which would take the
    /// exit status of a shell from swift-subprocess. Call only while no call is between spawning
    /// its shell and registering it.
    private func reapAdoptedZombies() {
        let leaders = state.withLock { state -> Set<pid_t>? in
            state.adoptsOrphans ? Set(state.calls.values.compactMap { $0.group?.id }) : nil
        }
        guard let leaders else { return }
        // Muster's children from its threads' `children` files, not a listing of /proc.
        let children = ProcessTable.ownChildren() ?? ProcessTable.read().children(of: getpid())
        for child in children where !leaders.contains(child) { _ = reapIfZombie(child) }
    }

    // MARK: Exit

    /// After the session shut down: kills what is left (tasks that did not return in the grace
    /// period) and returns every task whose processes had to be killed, for the exit summary.
    public func killLeftovers() -> Set<TaskID> {
        killAll().union(killedTasks)
    }

    /// Kills at once (SIGKILL) every process Muster knows of: every live group, every descendant,
    /// every process carrying one of its markers. For the exit paths (a second signal, the
    /// shutdown deadline, the end of a session); blocks for at most about `limit`.
    /// Returns the tasks whose processes were still running.
    @discardableResult
    public func killAll(limit: Duration = .milliseconds(500)) -> Set<TaskID> {
        let (groups, tasks, ownsDescendants) = state.withLock { state in
            (state.calls.values.compactMap(\.group), Set(state.calls.values.compactMap { $0.group != nil ? $0.taskID : nil }), state.ownsDescendants)
        }
        for group in groups { group.send(SIGKILL) }
        let prefix = "\(Self.markerVariable)=\(tag)-"
        let me = getpid()
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: limit)
        var killedAny = !groups.isEmpty
        repeat {
            let table = ProcessTable.read()
            // (A killAll in a test runner, e.g. an ExitDeadline under test, SIGKILLed the other
            // tests' processes: only the executable owns all its descendants.)
            var targets = ownsDescendants ? Set(table.descendants(of: me).filter { table.processes[$0]?.isAlive == true }) : []
            for (pid, status) in table.processes where status.isAlive && pid != me && !targets.contains(pid) {
                if !ProcessTable.environmentEntries(of: pid, withPrefix: prefix).isEmpty { targets.insert(pid) }
            }
            if targets.isEmpty { break }
            killedAny = true
            for pid in targets { kill(pid, SIGKILL) }
            // Children of a killed process reparent (to Muster or init) a moment after it died.
            usleep(2_000)
        } while clock.now < deadline
        if killedAny {
            state.withLock { $0.killedTasks.formUnion(tasks) }
        }
        return tasks
    }
}
