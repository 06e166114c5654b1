import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The hard deadline of a shutdown: once armed, every tool process is killed when the tasks'
/// grace ends, and the process exits at the deadline whatever has not returned.
///
/// Its timers run on a dispatch queue of its own, not on the concurrency pool, which work that
/// never yields (a catastrophic regex, a blocked write) can fill: the deadline fires regardless.
public final class ExitDeadline: Sendable {
    /// Time the tasks get to stop after the exit request.
    public static let taskGrace: Duration = .milliseconds(1500)
    /// From the exit request to the forced exit.
    public static let deadline: Duration = .seconds(2)

    private struct Timers {
        let escalation: any DispatchSourceTimer
        let expiry: any DispatchSourceTimer
    }

    // Dispatch sources are thread-safe but not marked Sendable: the lock makes sharing them provable.
    private let timers: Locked<Timers>
    // How the run ends, once armed (nil while not armed).
    private let armed = Locked<RunEnding?>(nil)
    private let processes: ToolProcessRegistry
    private let grace: Duration
    private let limit: Duration
    private let exit: @Sendable (Int32) -> Void

    /// `report` says on standard error what the forced exit leaves undone (`unfinished` names
    /// what may be missing); it must not block. `grace`, `limit` and `exit` are for tests: the
    /// defaults are `taskGrace`, `deadline` and `_exit`.
    public init(
        processes: ToolProcessRegistry = .shared,
        unfinished: String = "The session log may lack its last records.",
        grace: Duration = ExitDeadline.taskGrace,
        limit: Duration = ExitDeadline.deadline,
        exit: @escaping @Sendable (Int32) -> Void = { _exit($0) },
        report: @escaping @Sendable (String) -> Void
    ) {
        self.processes = processes
        self.grace = grace
        self.limit = limit
        self.exit = exit
        let queue = DispatchQueue(label: "muster.exit-deadline")
        let escalation = DispatchSource.makeTimerSource(queue: queue)
        let expiry = DispatchSource.makeTimerSource(queue: queue)
        escalation.setEventHandler { processes.killAll() }
        let armed = self.armed
        expiry.setEventHandler {
            let killed = processes.killAll()
            let tools = killed.isEmpty ? "" : " Killed the processes of \(killed.sorted().map(\.description).joined(separator: ", "))."
            report(
                "muster: the shutdown did not finish within \(limit.humanReadable) (a model, a tool or the log did not return); exiting now.\(tools) \(unfinished)"
            )
            exit(armed.withLock { $0 }?.exitCode ?? RunEnding.error.exitCode)
        }
        // Resumed at once (a never-resumed source must not be released), far in the future.
        for timer in [escalation, expiry] {
            timer.schedule(deadline: .distantFuture)
            timer.resume()
        }
        timers = Locked(Timers(escalation: escalation, expiry: expiry))
    }

    /// Starts the deadline for a run that ends as `ending`; true the first time, false when it
    /// was already armed (a second request, which the caller treats as "now").
    @discardableResult
    public func arm(for ending: RunEnding) -> Bool {
        let isFirst = armed.withLock { armed in
            defer { if armed == nil { armed = ending } }
            return armed == nil
        }
        guard isFirst else { return false }
        timers.withLock { timers in
            timers.escalation.schedule(deadline: .now() + grace.seconds)
            timers.expiry.schedule(deadline: .now() + limit.seconds)
        }
        return true
    }

    /// Exits at once (a second signal): kills every tool process first.
    public func exitNow(_ ending: RunEnding) -> Never {
        processes.killAll()
        exit(ending.exitCode)
        // `exit` is `_exit` outside tests; a test's `exit` returns, and this must not.
        _exit(ending.exitCode)
    }
}
