import Foundation

/// Finds the earlier session a restart continues (`--continue`: the latest in this workspace;
/// `--resume <id>`: a given one) and reads its log, refusing with a reason what cannot be
/// resumed: an unknown id, a file that is not a session log, a session of another workspace,
/// one still running, one written by a newer schema.
public enum SessionResume {
    /// Which session to resume.
    public enum Target: Sendable, Equatable {
        /// The latest session in the workspace (`--continue`).
        case latest
        /// The session with this id (`--resume <id>`).
        case id(String)
    }

    /// Why a session cannot be resumed; the description says which and why.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case unknownSession(String, searched: String)
        case noSessionInWorkspace(String, searched: String)
        case notASessionLog(URL)
        case otherWorkspace(String, workspace: String, current: String)
        case stillRunning(String, pid: Int32)
        case newerSchema(String, version: Int)

        public var description: String {
            switch self {
            case .unknownSession(let id, let searched):
                "No session \(id) in \(searched) (muster --resume with no id lists the sessions there)."
            case .noSessionInWorkspace(let workspace, let searched):
                "No earlier session in \(workspace) to continue (looked in \(searched))."
            case .notASessionLog(let url):
                "\(url.path) is not a Muster session log (it has no session_start record): cannot resume it."
            case .otherWorkspace(let id, let workspace, let current):
                "Session \(id) ran in \(workspace), not in \(current): resume it there, or with --workspace \(workspace)."
            case .stillRunning(let id, let pid):
                "Session \(id) is still running (process \(pid)): it cannot be resumed twice at once."
            case .newerSchema(let id, let version):
                "Session \(id) was written by a newer Muster (log schema \(version); this one reads \(SessionRecord.schemaVersion)): cannot resume it."
            }
        }
    }

    /// What was found: the log, and what it holds for the restart.
    public struct Loaded: Sendable {
        public var logFile: URL
        public var sessionID: String
        public var restore: SessionLogRestore
    }

    /// Finds and reads the session. `workspace` is the resolved workspace of the new session.
    public static func load(
        _ target: Target, location: SessionLogLocation, workspace: String, environment: [String: String],
        isProcessRunning: (Int32) -> Bool = SessionLogRecovery.isProcessRunning
    ) throws(Failure) -> Loaded {
        let url: URL
        let searched: String
        switch location {
        case .file(let file):
            url = file
            searched = file.path
        case .sessionsDirectory, .disabled:
            let directory = SessionLogLocation.sessionsDirectory(environment: environment)
            searched = directory.path
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
                .filter { $0.hasSuffix(".jsonl") }.sorted(by: >)
            switch target {
            case .id(let id):
                // Compared with the listed names, never joined into a path: an id cannot point elsewhere.
                guard let name = names.first(where: { $0.hasSuffix("-\(id).jsonl") }) else {
                    throw .unknownSession(id, searched: searched)
                }
                url = directory.appendingPathComponent(name)
            case .latest:
                guard let name = names.first(where: { name in
                    SessionSummary.start(of: directory.appendingPathComponent(name))?.metadata.workspace == workspace
                }) else { throw .noSessionInWorkspace(workspace, searched: searched) }
                url = directory.appendingPathComponent(name)
            }
        }
        let wanted: String? = if case .id(let id) = target { id } else { nil }
        guard let restore = SessionLogRestore.read(url, sessionID: wanted) else { throw .notASessionLog(url) }
        guard let start = restore.start else {
            if let wanted, case .file = location { throw .unknownSession(wanted, searched: searched) }
            throw .notASessionLog(url)
        }
        let id = start.sessionID
        if start.schemaVersion > SessionRecord.schemaVersion { throw .newerSchema(id, version: start.schemaVersion) }
        if start.metadata.workspace != workspace {
            throw .otherWorkspace(id, workspace: start.metadata.workspace, current: workspace)
        }
        if !restore.hasEnd, start.pid != getpid(), isProcessRunning(start.pid) { throw .stillRunning(id, pid: start.pid) }
        return Loaded(logFile: url, sessionID: id, restore: restore)
    }

    /// The sessions `--resume` lists: those of `workspace` in the sessions directory (or the
    /// given log file), newest first, at most `limit`.
    public static func list(
        location: SessionLogLocation, workspace: String, environment: [String: String], limit: Int = 20
    ) -> [SessionSummary] {
        let files: [URL]
        switch location {
        case .file(let file):
            files = [file]
        case .sessionsDirectory, .disabled:
            let directory = SessionLogLocation.sessionsDirectory(environment: environment)
            files = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
                .filter { $0.hasSuffix(".jsonl") }.sorted(by: >).map { directory.appendingPathComponent($0) }
        }
        var found: [SessionSummary] = []
        for file in files where found.count < limit {
            guard SessionSummary.start(of: file)?.metadata.workspace == workspace else { continue }
            if let summary = SessionSummary.read(file), summary.workspace == workspace { found.append(summary) }
        }
        return found
    }
}
