import Foundation

/// A `tool_process` record: a tool's process group started or ended, with what identifies its
/// processes for good (leader pid and start time, environment marker).
public struct ToolProcessRecord: Sendable, Equatable, Codable {
    public var sessionID: String
    public var event: ToolProcessEvent.Kind
    /// The process group id: the pid of its leader.
    public var processGroup: Int32
    /// The leader's start time, `/proc/<pid>/stat` field 22 (clock ticks after boot).
    public var startTime: UInt64
    /// The `MUSTER_TOOL_CALL` value every process of the call inherits.
    public var marker: String
    public var callID: String
    public var taskID: TaskID?

    public init(sessionID: String, _ event: ToolProcessEvent) {
        self.sessionID = sessionID
        self.event = event.kind
        self.processGroup = event.processGroup
        self.startTime = event.startTime
        self.marker = event.marker
        self.callID = event.callID
        self.taskID = event.taskID
    }

    enum CodingKeys: String, CodingKey {
        case sessionID = "session_id", event, processGroup = "pgid", startTime = "start_time"
        case marker, callID = "call_id", taskID = "task_id"
    }
}
