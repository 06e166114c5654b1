/// One tool call's processes: the marker its environment carries, its group, its cleanup.
struct ToolProcessCall: Sendable {
    let registry: ToolProcessRegistry
    let token: Int
    /// The value of `MUSTER_TOOL_CALL` for this call's processes.
    let marker: String

    /// Records the call's process group once its leader runs.
    func spawned(_ group: ProcessGroup) {
        registry.spawned(token: token, group: group, marker: marker)
    }

    /// Stops everything else the call left running and forgets it. Run it in an uncancelled task.
    /// `table`: a listing of /proc read after the group was found empty, used for the first look.
    func finish(grace: Duration, groupNeededKill: Bool, table: ProcessTable? = nil) async {
        await registry.finish(token: token, marker: marker, grace: grace, groupNeededKill: groupNeededKill, table: table)
    }
}
