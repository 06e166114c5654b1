import Foundation

/// A tool process group started or ended: what the session log records to find survivors later.
public struct ToolProcessEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable, Codable {
        case started
        case ended
    }

    public var kind: Kind
    /// The group id, which is the pid of its leader.
    public var processGroup: Int32
    /// The leader's start time (`/proc/<pid>/stat` field 22, clock ticks after boot).
    public var startTime: UInt64
    /// The `MUSTER_TOOL_CALL` value of the call's processes.
    public var marker: String
    public var callID: String
    public var taskID: TaskID?

    public init(kind: Kind, processGroup: Int32, startTime: UInt64, marker: String, callID: String, taskID: TaskID?) {
        self.kind = kind
        self.processGroup = processGroup
        self.startTime = startTime
        self.marker = marker
        self.callID = callID
        self.taskID = taskID
    }
}
