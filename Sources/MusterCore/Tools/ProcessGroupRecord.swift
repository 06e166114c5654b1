/// The process group of a started command, written by the task that runs it and read after
/// that task ended (a mutex guards it because the two are different tasks).
final class ProcessGroupRecord: Sendable {
    private let value = Locked<ProcessGroup?>(nil)
    /// The call's entry in the process-wide registry.
    let processes: ToolProcessCall

    init(processes: ToolProcessCall) {
        self.processes = processes
    }

    func record(_ group: ProcessGroup) {
        value.withLock { $0 = group }
    }

    var group: ProcessGroup? {
        value.withLock { $0 }
    }
}
