@testable import MusterCore
import MusterPresentation
import Testing

@Suite("The active-agents pill")
struct CommandsPillStateTests {
    private func task(
        _ id: Int, status: TaskStatus = .running(step: 1, activity: nil), mode: TaskMode = .background,
        kind: TaskKind = .agent, cancelRequested: CancellationSource? = nil
    ) -> TaskSnapshot {
        TaskSnapshot(
            id: TaskID(id), name: "a\(id)", kind: kind, description: "", spawner: .topLevel, mode: mode,
            status: status, cancelRequested: cancelRequested, startedAt: .zero, endedAt: status.isTerminal ? .zero : nil,
            startDate: .distantPast, age: .zero, trail: []
        )
    }

    @Test("at zero it reads 0/M agents and is idle")
    func zero() {
        let pill = PillState(cap: 10)
        #expect(pill.text == "○ 0/10 agents")
        #expect(pill.isIdle)
        #expect(!pill.isActive)
    }

    @Test("it counts running background agents and shows a spinner")
    func counting() {
        var pill = PillState(cap: 10)
        let changed = pill.apply(.started(task(1, status: .pending)))
        #expect(changed)
        pill.apply(.updated(task(2)))
        #expect(pill.runningCount == 2)
        #expect(pill.text.hasPrefix("● 2/10 agents "))
        #expect(PillState.spinnerFrames.contains(String(pill.text.split(separator: " ").last ?? "")))
    }

    @Test("a stopping agent keeps its slot and is named stopping until its body ends; a finished one never counts")
    func stoppingKeepsItsSlot() {
        var pill = PillState(cap: 3)
        pill.apply(.started(task(1)))
        pill.apply(.started(task(2)))
        pill.apply(.updated(task(2, cancelRequested: .user)))
        #expect(pill.runningCount == 2)
        #expect(pill.label == "2/3 agents · 1 stopping")
        pill.apply(.finished(task(1, status: .completed(summary: ""))))
        #expect(pill.runningCount == 1)
        #expect(pill.text.hasPrefix("● 1/3 agents · 1 stopping "))
        pill.apply(.finished(task(2, status: .cancelled(by: .user))))
        #expect(pill.runningCount == 0)
        #expect(pill.text == "○ 0/3 agents")
        // A late update for an ended task must not bring it back.
        pill.apply(.updated(task(2, cancelRequested: .user)))
        pill.apply(.finished(task(2, status: .cancelled(by: .user))))
        #expect(pill.runningCount == 0)
    }

    @Test("foreground agents and shell tasks do not count")
    func onlyBackgroundAgents() {
        var pill = PillState(cap: 10)
        pill.apply(.started(task(1, mode: .foreground)))
        pill.apply(.started(task(2, kind: .shell)))
        #expect(pill.runningCount == 0)
    }

    @Test("finished results waiting for the main agent show as done")
    func done() {
        var pill = PillState(cap: 10)
        pill.apply(.started(task(1)))
        let shown = pill.apply(.resultsWaiting(.topLevel, count: 1))
        #expect(shown)
        #expect(pill.label == "1/10 agents · 1 done")
        let ignored = pill.apply(.resultsWaiting(.task(TaskID(1)), count: 4))
        #expect(!ignored)
        pill.apply(.resultsWaiting(.topLevel, count: 0))
        #expect(pill.label == "1/10 agents")
        #expect(pill.plainText == "[1/10 agents]")
    }

    @Test("the spinner turns only while something runs")
    func spinner() {
        var pill = PillState(cap: 10)
        pill.advanceSpinner()
        #expect(pill.spinnerFrame == 0)
        pill.apply(.started(task(1)))
        pill.advanceSpinner()
        #expect(pill.spinnerFrame == 1)
        for _ in 0..<PillState.spinnerFrames.count { pill.advanceSpinner() }
        #expect(pill.spinnerFrame == 1)
    }

    @Test("a pill started late takes the registry's current state")
    func fromSnapshots() {
        let pill = PillState(cap: 5, snapshots: [task(1), task(2, cancelRequested: .user), task(3, status: .completed(summary: ""))], pendingResults: 2)
        #expect(pill.label == "2/5 agents · 1 stopping · 2 done")
    }
}
