import Foundation
@testable import MusterCore
import Testing

/// A snapshot shares its entry's record until the entry changes: what that saves must not change
/// what a snapshot says, compares or writes.
@Suite("Snapshots sharing their entry's record")
struct TaskSnapshotRecordTests {
    static func machine(queue: Int = 0) -> RegistryMachine {
        RegistryMachine(limits: .init(maxBackgroundAgents: 1, keepFinished: 50, trailLength: 3, backgroundQueue: queue))
    }

    /// The same snapshot built field by field through the full initializer (no shared record).
    static func rebuilt(_ snapshot: TaskSnapshot) -> TaskSnapshot {
        TaskSnapshot(
            id: snapshot.id, name: snapshot.name, kind: snapshot.kind, description: snapshot.description,
            spawner: snapshot.spawner, mode: snapshot.mode, status: snapshot.status, cancelRequested: snapshot.cancelRequested,
            startedAt: snapshot.startedAt, endedAt: snapshot.endedAt, startDate: snapshot.startDate, age: snapshot.age,
            trail: snapshot.trail, usage: snapshot.usage, childrenUsage: snapshot.childrenUsage, lastEventAt: snapshot.lastEventAt,
            step: snapshot.step, stepLimit: snapshot.stepLimit, budget: snapshot.budget, queuedFor: snapshot.queuedFor
        )
    }

    @Test("Snapshots between two changes share one record; a change makes a new one and leaves earlier snapshots as they were")
    func recordsAreSharedUntilAChange() throws {
        var machine = Self.machine()
        let (id, _) = try machine.start(.background(), now: .zero, date: Date())
        _ = machine.bodyBegins(id, now: .zero)
        _ = machine.report(id, step: 1, activity: "grep", now: .seconds(1))
        let first = try #require(machine.snapshot(of: id, now: .seconds(2)))
        let second = try #require(machine.snapshot(now: .seconds(3)).first)
        #expect(first.record === second.record)
        #expect(first.age == .seconds(2) && second.age == .seconds(3))

        _ = machine.report(id, step: 2, activity: "read", now: .seconds(4))
        let third = try #require(machine.snapshot(of: id, now: .seconds(5)))
        #expect(third.record !== first.record)
        #expect(first.step == 1 && first.trail == ["grep"] && first.status == .running(step: 1, activity: "grep"))
        #expect(third.step == 2 && third.trail == ["grep", "read"] && third.status == .running(step: 2, activity: "read"))
        #expect(first.lastEventAt == .seconds(1) && third.lastEventAt == .seconds(4))
    }

    @Test("A snapshot equals the same one built field by field, writes the same JSON, and a changed copy leaves the original alone")
    func equalityAndCodingMatchAFieldByFieldSnapshot() throws {
        var machine = Self.machine()
        let request = TaskRegistry.Request(
            name: "explore", description: "find TODOs", mode: .background, stepLimit: 9, budget: TaskBudget(maxTokens: 500)
        )
        let (id, _) = try machine.start(request, now: .zero, date: Date(timeIntervalSince1970: 1_763_740_800))
        _ = machine.bodyBegins(id, now: .zero)
        var effects: [RegistryEffect] = []
        machine.recordUsage(id, TaskUsage(inputTokens: 10, outputTokens: 2, modelCalls: 1), now: .seconds(1), into: &effects)
        _ = machine.cancel(id, source: .user, now: .seconds(2))
        let live = try #require(machine.snapshot(of: id, now: .seconds(3)))
        let copy = Self.rebuilt(live)
        #expect(copy.record !== live.record)
        #expect(copy == live)
        #expect(live.cancelRequested == .user && live.stepLimit == 9 && live.budget.maxTokens == 500)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try encoder.encode(copy) == encoder.encode(live))

        var changed = live
        changed.usage = TaskUsage(inputTokens: 99)
        #expect(changed != live)
        #expect(live.usage == TaskUsage(inputTokens: 10, outputTokens: 2, modelCalls: 1))
        #expect(machine.snapshot(of: id, now: .seconds(3))?.usage == live.usage)
        var later = live
        later.step = 7
        #expect(later != live && later.step == 7 && live.step == 0)
    }

    @Test("A queued snapshot's place and its time in the queue are of the moment, over a shared record; leaving the queue fixes the time")
    func queuedPlaceAndTime() throws {
        var machine = Self.machine(queue: 2)
        let (running, _) = try machine.start(.background(), now: .zero, date: Date())
        _ = machine.bodyBegins(running, now: .zero)
        let (queued, _) = try machine.start(.background(), now: .seconds(1), date: Date())
        let early = try #require(machine.snapshot(of: queued, now: .seconds(2)))
        let late = try #require(machine.snapshot(now: .seconds(5)).last)
        #expect(early.record === late.record)
        #expect(early.status == .queued(position: 1) && early.queuedFor == .seconds(1))
        #expect(late.queuedFor == .seconds(4))
        let moved = early.queued(at: 3)
        #expect(moved.status == .queued(position: 3) && moved.record === early.record && moved != early)

        _ = machine.bodyEnded(running, outcome: .returned("done"), now: .seconds(6))
        let started = try #require(machine.snapshot(of: queued, now: .seconds(9)))
        #expect(started.status == .pending && started.queuedFor == .seconds(5))
        #expect(early.queuedFor == .seconds(1))
    }
}
