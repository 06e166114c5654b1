import Foundation

/// Runs a file tool's blocking work (reading, walking, matching) on a thread of its own, off the
/// cooperative pool, and passes the calling task's cancellation to it as a flag it polls.
///
/// The caller resumes only when the work has returned, so a call that ended has no work left
/// running anywhere: cancelling stops the work, it does not abandon it.
enum BlockingWork {
    static func run<Value: Sendable>(
        _ body: @escaping @Sendable (CancellationFlag) throws -> Value
    ) async throws -> Value {
        let flag = CancellationFlag()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
                let thread = Thread {
                    continuation.resume(with: Result { try body(flag) })
                }
                thread.name = "muster.file-tool"
                thread.start()
            }
        } onCancel: {
            flag.cancel()
        }
    }
}
