import MusterCore

/// What the person asked for, as the interactive state decided from a key or a signal.
/// The app carries these out against the session, in order.
public enum AppIntent: Sendable, Equatable {
    /// Send text to the main agent.
    case submit(String)
    /// Run a slash command line.
    case command(String)
    /// Answer the pending confirmation.
    case answer(Bool)
    /// Answer a tool call's approval request.
    case answerApproval(id: Int, ApprovalAnswer)
    /// Cancel the running foreground turn (background agents keep running).
    case interrupt
    /// Ctrl+B: move the running `!` command to the background.
    case moveToBackground
    /// Quit as `/quit` does: ask first while background agents run (Ctrl-D on an empty line).
    case requestQuit
    /// Leave, for this reason, without asking.
    case quit(RunEnding)
    /// Repaint every cell (Ctrl-L).
    case repaint
    /// Stop one task (the task dialog's `x`).
    case stopTask(TaskID)
    /// Pause one agent (the task dialog's `p`, as `/tasks pause <id>`).
    case pauseTask(TaskID)
    /// Resume one paused agent (the task dialog's `r`, as `/tasks resume <id>`).
    case resumeTask(TaskID)
    /// Put a message in an agent's inbox (the task dialog's `m`, as `/tasks send <id> <text>`).
    case sendMessage(TaskID, String)
    /// Stop every task after the session's y/n question (the task dialog's `X`).
    case stopAll
    /// Fetch a task's transcript for the task dialog's detail (`InteractiveState.receiveTranscript`).
    case fetchTranscript(TaskID)
}
