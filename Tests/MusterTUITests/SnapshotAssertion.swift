import Foundation
import Testing

/// Compares text with a snapshot file under `Snapshots/`, named by a sentence.
///
/// `MUSTER_RECORD_SNAPSHOTS=1` re-records every snapshot; a missing one is recorded and the
/// test fails once, so a new snapshot is always looked at before it is trusted.
enum SnapshotAssertion {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

    static func assertSnapshot(_ text: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let file = folder.appendingPathComponent(name + ".txt")
        let recording = ProcessInfo.processInfo.environment["MUSTER_RECORD_SNAPSHOTS"] == "1"
        let existing = try? String(contentsOf: file, encoding: .utf8)
        if recording || existing == nil {
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                try text.write(to: file, atomically: true, encoding: .utf8)
            } catch {
                Issue.record("Could not record snapshot \(file.path): \(error)", sourceLocation: sourceLocation)
                return
            }
            if existing == nil, !recording {
                Issue.record("Recorded a new snapshot at \(file.path); check it and run again.", sourceLocation: sourceLocation)
            }
            return
        }
        if existing != text {
            Issue.record(
                """
                Snapshot "\(name)" differs (MUSTER_RECORD_SNAPSHOTS=1 re-records it).
                Expected:
                \(existing ?? "")
                Actual:
                \(text)
                """,
                sourceLocation: sourceLocation
            )
        }
    }
}
