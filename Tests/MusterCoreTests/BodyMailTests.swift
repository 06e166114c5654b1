import Foundation
@testable import MusterCore
import MusterTestSupport
import Testing

/// What a body tells the registry without a trip to its actor (`BodyMailbox`): every step takes
/// it in before it reads or changes an entry, so nothing posted is missed, late or out of order;
/// and what an agent's run reads without a trip (its pauses, its messages) is told by the
/// registry in the step that makes it.
@Suite("What bodies post", .timeLimit(.minutes(1)))
struct BodyMailTests {
    /// An agent whose body waits at `gate`, running (its beginning recorded), and the interrupt
    /// its body was handed.
    private static func waitingAgent(in registry: TaskRegistry, gate: Gate) async throws -> (id: TaskID, interrupt: AgentInterrupt?) {
        let interrupts = Recorder<AgentInterrupt?>()
        let id = try await registry.start(.background()) { context in
            interrupts.record(context.interrupt)
            await gate.waitIgnoringCancellation()
            return "done"
        }
        await gate.untilArrivals(1)
        // Any step takes in the posted beginning.
        #expect(await registry.snapshot(of: id)?.status.word == "running")
        return (id, interrupts.values.first ?? nil)
    }

    @Test("A report posted and never drained shows in the next snapshot and on the bus: a step takes it in before it reads")
    func postedReportSeenByTheNextStep() async throws {
        let registry = TaskRegistry()
        let gate = Gate()
        let id = try await Self.waitingAgent(in: registry, gate: gate).id
        let events = registry.events.subscribe().tasks
        // Posted as a body posts, but no drain follows: only the next step can take it in.
        _ = registry.bodyMail.post(.report(id, step: 4, activity: "posted", joinsTrail: true))
        let snapshot = try #require(await registry.snapshot(of: id))
        #expect(snapshot.status == .running(step: 4, activity: "posted"))
        #expect(snapshot.trail.last == "posted")
        #expect(!registry.bodyMail.hasPosts)
        // The update taken in by a step that only read is published all the same.
        let read = await events.read(until: { event in
            if case .updated(let task) = event { task.id == id && task.status == .running(step: 4, activity: "posted") } else { false }
        })
        #expect(!read.isEmpty)
        gate.open()
    }

    @Test("A body's posted report and its direct call after it keep their order")
    func postedThenDirectKeepsOrder() async throws {
        let registry = TaskRegistry()
        let gate = Gate()
        let id = try await Self.waitingAgent(in: registry, gate: gate).id
        _ = registry.bodyMail.post(.report(id, step: 2, activity: "first", joinsTrail: true))
        await registry.report(id, activity: "second")
        let snapshot = try #require(await registry.snapshot(of: id))
        #expect(snapshot.status == .running(step: 2, activity: "second"))
        #expect(Array(snapshot.trail.suffix(2)) == ["first", "second"])
        gate.open()
    }

    @Test("A posted end is recorded by the next step even when its poster never drains: waits are answered, the result is listed")
    func postedEndTakenByAStep() async throws {
        let registry = TaskRegistry()
        let gate = Gate()
        let id = try await Self.waitingAgent(in: registry, gate: gate).id
        // A made-up end for the live entry: whichever comes first wins, and it comes first.
        _ = registry.bodyMail.post(.ended(.init(id: id, outcome: .returned("posted end"))))
        let snapshot = try #require(await registry.snapshot(of: id))
        #expect(snapshot.status == .completed(summary: "posted end"))
        #expect(await registry.drainResults(for: .topLevel).map(\.id) == [id])
        gate.open()
        // Its real end comes later and changes nothing.
        #expect(await registry.wait(for: id, requestedBy: .topLevel, timeout: nil) == .alreadyDelivered(snapshot))
    }

    @Test("An agent started paused has its interrupt paused before its body runs; one started running does not")
    func pausedStartIsPausedBeforeTheBody() async throws {
        let registry = TaskRegistry()
        let seenPaused = Recorder<Bool?>()
        let seenRunning = Recorder<Bool?>()
        let paused = try await registry.startPaused(.background()) { context in
            seenPaused.record(context.interrupt?.isPaused)
            return "done"
        }
        let running = try await registry.start(.background()) { context in
            seenRunning.record(context.interrupt?.isPaused)
            return "done"
        }
        _ = await registry.wait(for: running, requestedBy: .topLevel, timeout: nil)
        _ = await registry.wait(for: paused, requestedBy: .topLevel, timeout: nil)
        #expect(seenPaused.values == [true])
        #expect(seenRunning.values == [false])
    }

    @Test("A shell's body has no interrupt; an agent's is the one the registry pauses")
    func onlyAgentsHaveAnInterrupt() async throws {
        let registry = TaskRegistry()
        let gate = Gate()
        let interrupts = Recorder<AgentInterrupt?>()
        let shell = try await registry.start(.background(kind: .shell)) { context in
            interrupts.record(context.interrupt)
            return "done"
        }
        _ = await registry.wait(for: shell, requestedBy: .topLevel, timeout: nil)
        #expect(interrupts.values.count == 1 && interrupts.values[0] == nil)
        let (agent, handed) = try await Self.waitingAgent(in: registry, gate: gate)
        let interrupt = try #require(handed)
        #expect(!interrupt.isPaused)
        guard case .paused = await registry.pause(agent) else { Issue.record("not paused"); return }
        #expect(interrupt.isPaused)
        guard case .resumed = await registry.resume(agent) else { Issue.record("not resumed"); return }
        #expect(!interrupt.isPaused)
        gate.open()
    }

    @Test("A message sent tells the agent's interrupt that messages wait; taking them clears it, so a run with none makes no trip")
    func messagesWaitingFollowsTheInbox() async throws {
        let registry = TaskRegistry()
        let gate = Gate()
        let (id, handed) = try await Self.waitingAgent(in: registry, gate: gate)
        let interrupt = try #require(handed)
        #expect(!interrupt.hasMessagesWaiting)
        guard case .queued = await registry.sendMessage("one", to: id) else { Issue.record("not queued"); return }
        #expect(interrupt.hasMessagesWaiting)
        #expect(await registry.takeMessages(for: id).map(\.text) == ["one"])
        #expect(!interrupt.hasMessagesWaiting)
        #expect(await registry.takeMessages(for: id).isEmpty)
        gate.open()
    }

    @Test("A stop and a body's beginning decide once: a body that began is recorded running before it stops; one stopped first never runs", arguments: [true, false])
    func stopRacingTheBodysBeginning(bodyFirst: Bool) throws {
        var machine = RegistryMachineTests.machine()
        let start = BodyStart()
        var effects: [RegistryEffect] = []
        let id = try machine.start(.background(), now: .zero, date: Date(), bodyStart: start, makeBody: { _ in nil }, into: &effects)
        // The body's side, before or after the stop; its posted beginning is not taken in yet.
        let began = bodyFirst ? start.begin() : false
        let (outcome, stopped) = machine.cancel(id, source: .user, now: .seconds(1))
        guard case .cancelling = outcome else { Issue.record("not cancelling: \(outcome)"); return }
        let words = RegistryMachineTests.published(stopped).compactMap { if case .updated(let task) = $0 { task.status.word } else { nil } }
        if bodyFirst {
            #expect(began)
            #expect(words == ["running", "running"], "recorded running, then stopping (still running until its body returns)")
            #expect(machine.snapshot(of: id, now: .seconds(1))?.cancelRequested == .user)
        } else {
            #expect(!start.begin(), "a body stopped before it began must not run")
            #expect(words == ["pending"])
        }
        // Its posted beginning, taken in late, changes nothing.
        var late: [RegistryEffect] = []
        machine.receive([.began(id)], now: .seconds(2), into: &late)
        #expect(late.isEmpty)
    }
}
