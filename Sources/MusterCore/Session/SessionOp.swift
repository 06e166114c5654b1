/// Everything a person can ask of a session: the one way in for every front end. Send with
/// `Session.send(_:)`; what it produces comes out as `SessionEvent`s on the session's bus.
public enum SessionOp: Sendable, Equatable {
    /// A line the person typed. While a question waits (`CommandReply.confirm`) it is the
    /// answer: yes, no, or asked again (`unclearAnswer`). Otherwise a line whose first non-blank
    /// character is `/` is a slash command (`slashCommand`, then its `reply`); a blank line is
    /// ignored; any other line goes to the main agent, as `prompt` does.
    case submit(String)
    /// Text for the main agent, never read as a command (a headless prompt): starts a turn, or
    /// waits behind the running one.
    case prompt(String)
    /// Stops one task, as `/tasks stop <id>` does (its `reply` says how it went).
    case cancelTask(TaskID)
    /// Stops every running task, as `/cancel all` does: asks first (`reply(.confirm)`).
    case cancelAll
    /// Puts a message in an agent's inbox, as `/tasks send <id> <text>` does: its `reply` is the
    /// receipt (or the refusal); `message_read` follows when the agent reads it.
    case sendMessage(TaskID, String)
    /// Pauses an agent, as `/tasks pause <id>` does.
    case pauseTask(TaskID)
    /// Resumes a paused agent, as `/tasks resume <id>` does (refused while the cap is full).
    case resumeTask(TaskID)
    /// Pauses every running agent, as `/tasks pause all` does.
    case pauseAll
    /// Resumes every paused agent while the cap allows, as `/tasks resume all` does.
    case resumeAll
    /// Answers the pending question (ignored when none waits).
    case answer(Bool)
    /// Answers the approval request `id` (`approval_answered` follows; ignored when it no
    /// longer waits: answered already, or its call was stopped).
    case answerApproval(id: Int, ApprovalAnswer)
    /// Cancels the running foreground turn; background agents keep running. Nothing when idle.
    case interrupt
    /// Ctrl+B: the running `!` command goes on in the background as a `shell` task (same id,
    /// process and output) and its turn ends at once (`reply(.movedToBackground)`); its result
    /// reaches the main agent when it ends. `reply(.nothingToMoveToBackground)` when nothing can move.
    case moveToBackground
    /// Quits, as `/quit` does: `reply(.quit)` at once when no background agent runs, else
    /// `reply(.confirm)` first.
    case quit
}
