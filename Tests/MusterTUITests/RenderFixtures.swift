@testable import MusterCore
import MusterPresentation
@testable import MusterTUI

/// Builders for render tests: task snapshots and states without a registry or a terminal.
enum RenderFixtures {
    static func task(
        _ id: Int, _ name: String, status: TaskStatus = .running(step: 1, activity: "thinking"),
        age: Duration = .seconds(4), mode: TaskMode = .background, prompt: String = "Look around",
        cancelRequested: CancellationSource? = nil, endedAt: Duration? = nil, usage: TaskUsage = TaskUsage(),
        spawner: Spawner = .topLevel, kind: TaskKind = .agent
    ) -> TaskSnapshot {
        TaskSnapshot(
            id: TaskID(id), name: name, kind: kind, description: prompt, spawner: spawner, mode: mode,
            status: status, cancelRequested: cancelRequested, startedAt: .zero,
            endedAt: status.isTerminal ? (endedAt ?? age) : nil, startDate: .distantPast, age: age, trail: [], usage: usage
        )
    }

    static func state(columns: Int = 80, rows: Int = 12, cap: Int = 10, color: Bool = true) -> InteractiveState {
        InteractiveState(size: ScreenSize(rows: rows, columns: columns), theme: Theme(usesColor: color), pill: PillState(cap: cap))
    }

    /// Renders `state` on an in-memory screen of its size.
    @MainActor
    static func render(_ state: inout InteractiveState) -> TextGridScreen {
        let screen = TextGridScreen(size: state.size)
        screen.present(InteractiveRenderer.frame(for: &state))
        return screen
    }

    /// Lays out a frame of `state` without a screen (the dialog learns its list's height).
    static func layout(_ state: inout InteractiveState) {
        _ = InteractiveRenderer.frame(for: &state)
    }
}
