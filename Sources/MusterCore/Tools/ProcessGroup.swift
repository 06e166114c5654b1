import CMusterSystem
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A process group started by the shell tool: inspected through /proc and stopped as a whole.
public struct ProcessGroup: Sendable, Hashable, CustomStringConvertible {
    /// The process group id (the pid of its first process, the shell).
    public let id: pid_t

    /// Time between two looks at whether the group has emptied.
    static let pollInterval: Duration = .milliseconds(20)
    /// How long to wait for the group to vanish after SIGKILL.
    static let killWait: Duration = .seconds(2)

    /// Nil for ids 0 and 1 and below: signalling those "groups" would hit this process's own
    /// group or every process there is.
    public init?(id: pid_t) {
        guard id > 1 else { return nil }
        self.id = id
    }

    public var description: String { "process group \(id)" }

    /// Processes of the group that are still alive (zombies, which hold no resources and only wait
    /// for their parent to reap them, do not count). Nil when /proc cannot be read.
    public func livingMembers() -> [pid_t]? {
        var members: [pid_t] = []
        let listed = ProcessTable.forEachProcessID { pid in
            if let status = ProcessStatus.read(pid: pid), status.groupID == id, status.isAlive { members.append(pid) }
        }
        return listed ? members : nil
    }

    /// True while any process of the group is alive.
    public var hasLivingMembers: Bool {
        // Cheap first: no process at all in the group (zombies included), also once this
        // process reaped the members it adopted; the listing of /proc only when some remain.
        if isGone { return false }
        if reapAdoptedMembers() != nil, isGone { return false }
        guard let members = livingMembers() else { return true }
        return !members.isEmpty
    }

    /// No process of the group is left, not even a zombie: `kill(-id, 0)` fails with ESRCH.
    public var isGone: Bool {
        kill(-id, 0) != 0 && errno == ESRCH
    }

    /// Reaps the zombies of the group among this process's own children, other than the leader
    /// (the shell, whose exit status is swift-subprocess's): the members orphaned when the shell
    /// died, which a child subreaper (Muster) adopts. Until they are reaped `kill(-id, 0)` still
    /// finds the group, and only a listing of /proc (1.5–3 ms here) could tell it is dead; once
    /// reaped, `isGone` says so at once. Each is reaped through a pidfd taken before its status
    /// is read (`waitid(P_PIDFD)`): never `waitpid(-1)` or a group-wide wait, which could take a
    /// shell's exit status, and never a pid that was reused meanwhile.
    ///
    /// Returns this process's children in the group that are still alive (the leader included),
    /// nil when its children cannot be listed. Safe in any process: a child in the group other
    /// than its leader was not spawned here (the shell tool's children lead groups of their own).
    @discardableResult
    public func reapAdoptedMembers() -> [pid_t]? {
        guard let children = ProcessTable.ownChildren() else { return nil }
        var living: [pid_t] = []
        for child in children {
            guard child != id else {
                if ProcessStatus.read(pid: child)?.isAlive == true { living.append(child) }
                continue
            }
            let descriptor = muster_pidfd_open(child)
            guard descriptor >= 0 else { continue }
            defer { close(descriptor) }
            guard let status = ProcessStatus.read(pid: child), status.groupID == id else { continue }
            if status.isAlive {
                living.append(child)
            } else {
                _ = muster_reap_pidfd(descriptor)
            }
        }
        return living
    }

    /// The living processes of the group, found the cheap way first: nothing when it is gone
    /// (after reaping its adopted zombies), this process's living children in it when there
    /// are any (their exits are waited for, and the group looked at again), else a listing of
    /// /proc. Nil when /proc cannot be read.
    func membersToWaitFor() -> [pid_t]? {
        if isGone { return [] }
        let children = reapAdoptedMembers()
        if isGone { return [] }
        if let children, !children.isEmpty { return children }
        return livingMembers()
    }

    /// Sends `signal` to every process of the group.
    public func send(_ signal: Int32) {
        _ = kill(-id, signal)
    }

    /// The first step of a stop, cheap enough for a task cancellation handler (`kill` calls, no
    /// wait): SIGTERM to every process of the group, and SIGCONT so that stopped ones see it;
    /// SIGKILL when there is no grace period (`--stop-grace 0`: never SIGTERM).
    public func signalStop(grace: Duration) {
        guard grace > .zero else {
            send(SIGKILL)
            return
        }
        send(SIGTERM)
        send(SIGCONT)
    }

    /// Stops every process of the group: SIGTERM (and SIGCONT, so stopped processes see it),
    /// up to `grace` for them to exit, then SIGKILL. Returns when the group is empty or, should
    /// a process survive even SIGKILL (uninterruptible sleep), after a bounded wait.
    ///
    /// Run it in a task that is not cancelled: its waits are how the grace period passes.
    /// Returns true when SIGKILL was needed.
    @discardableResult
    public func terminate(grace: Duration, clock: any Clock<Duration>) async -> Bool {
        guard hasLivingMembers else { return false }
        return await stopLiving(grace: grace, clock: clock)
    }

    /// `terminate` for a group known to have a living member.
    private func stopLiving(grace: Duration, clock: any Clock<Duration>) async -> Bool {
        if grace > .zero {
            send(SIGTERM)
            send(SIGCONT)
            if await waitUntilEmpty(within: grace, clock: clock) { return false }
        }
        // No grace (`--stop-grace 0`), or it passed: SIGKILL.
        send(SIGKILL)
        _ = await waitUntilEmpty(within: Self.killWait, clock: clock)
        return true
    }

    /// `terminate`, also handing over the /proc table of its first look when that look found no
    /// living member (nil otherwise), so that the call's cleanup (`ToolProcessCall.finish`) need
    /// not list /proc once more: a listing reads every process's stat file, 1 to 2.5 ms here.
    func terminateKeepingTable(grace: Duration, clock: any Clock<Duration>) async -> (neededKill: Bool, table: ProcessTable?) {
        if isGone { return (false, nil) }
        // The members that died after the shell are this process's zombies when it adopts
        // orphans: reaped, the group is seen to be gone without a listing.
        let children = reapAdoptedMembers()
        if children != nil, isGone { return (false, nil) }
        // Some of this process's own children in the group still live (members a stop's SIGTERM
        // has not ended yet, adopted when the shell died): the group is known to live, so no
        // listing of /proc; they are stopped and their exits awaited (pidfds).
        if let children, !children.isEmpty {
            return (await stopLiving(grace: grace, clock: clock), nil)
        }
        let table = ProcessTable.read()
        if !table.processes.isEmpty, !table.processes.values.contains(where: { $0.groupID == id && $0.isAlive }) {
            return (false, table)
        }
        return (await terminate(grace: grace, clock: clock), nil)
    }

    /// The members' exits as events (see `waitForExits(within:living:)`). Nil where pidfds are
    /// not available (the caller polls then).
    private func waitForExits(within limit: Duration) async -> Bool? {
        let group = self
        return await Self.waitForExits(within: limit) { group.membersToWaitFor() }
    }

    /// Waits until `living()` names no process: a pidfd per living process, polled together on a
    /// thread of its own (off the cooperative pool), `living()` asked again whenever one exits.
    /// True when none is left, false when `limit` passed first, nil where pidfds are not
    /// available or `living()` cannot tell (the caller polls then).
    static func waitForExits(within limit: Duration, living: @escaping @Sendable () -> [pid_t]?) async -> Bool? {
        let deadline = ContinuousClock.now.advanced(by: limit)
        let answer: Bool?? = try? await BlockingWork.run { _ -> Bool? in
            while true {
                guard let members = living() else { return nil }
                guard !members.isEmpty else { return true }
                let remaining = ContinuousClock.now.duration(to: deadline)
                guard remaining > .zero else { return false }
                var descriptors: [pollfd] = []
                for pid in members {
                    let descriptor = muster_pidfd_open(pid)
                    if descriptor >= 0 {
                        descriptors.append(pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0))
                    } else if errno != ESRCH {
                        for opened in descriptors { close(opened.fd) }
                        return nil
                    }
                }
                defer { for opened in descriptors { close(opened.fd) } }
                // All gone between the look and the opens: look again.
                if descriptors.isEmpty { continue }
                let milliseconds = Int32(min(1_000, max(1, (remaining / .milliseconds(1)).rounded(.up))))
                _ = poll(&descriptors, nfds_t(descriptors.count), milliseconds)
            }
        }
        return answer ?? nil
    }

    /// Waits until the group has no living member; false when `limit` passed first. On real time
    /// it waits for the members' exits as events (a pidfd each), else it polls `clock`.
    private func waitUntilEmpty(within limit: Duration, clock: any Clock<Duration>) async -> Bool {
        if clock is ContinuousClock, let answer = await waitForExits(within: limit) { return answer }
        var waited: Duration = .zero
        while hasLivingMembers {
            guard waited < limit else { return false }
            let step = min(Self.pollInterval, limit - waited)
            do {
                try await clock.sleep(for: step)
            } catch {
                // Cancelled despite the contract: no waiting is possible any more, so stop now.
                return !hasLivingMembers
            }
            waited += step
        }
        return true
    }
}
