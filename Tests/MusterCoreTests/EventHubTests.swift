import MusterCore
import Testing

@Suite("Event hub", .timeLimit(.minutes(1)))
struct EventHubTests {
    /// A test event: `said` never coalesces; `progress` coalesces per key.
    enum Note: Sendable, Hashable {
        case said(String)
        case progress(String, Int)

        static func key(_ note: Note) -> String? {
            if case .progress(let key, _) = note { key } else { nil }
        }
    }

    private func makeHub() -> EventHub<Note, String> {
        EventHub(coalescingKey: Note.key)
    }

    private func read(_ count: Int, from subscription: EventSubscription<Note, String>) async -> [Note] {
        var notes: [Note] = []
        for _ in 0..<count {
            guard let note = await subscription.next() else { break }
            notes.append(note)
        }
        return notes
    }

    @Test("An event with a key replaces its undelivered predecessor in place, keeping the latest")
    func coalescesInPlace() async {
        let hub = makeHub()
        let subscription = hub.subscribe()
        hub.publish(.said("a"))
        hub.publish(.progress("one", 1))
        hub.publish(.said("b"))
        hub.publish(.progress("one", 2))
        hub.publish(.progress("two", 1))
        hub.publish(.progress("one", 3))
        hub.publish(.said("c"))
        #expect(subscription.pendingCount == 5)
        #expect(await read(5, from: subscription)
            == [.said("a"), .progress("one", 3), .said("b"), .progress("two", 1), .said("c")])
        #expect(subscription.pendingCount == 0)
    }

    @Test("A filtered subscriber gets only the events it accepts, in order and coalesced; the others never reach its buffer")
    func filteredSubscription() async {
        let hub = makeHub()
        let progressOnly = hub.subscribe(where: { if case .progress = $0 { true } else { false } })
        let everything = hub.subscribe()
        hub.publish(.said("a"))
        hub.publish(.progress("one", 1))
        hub.publish(.said("b"))
        hub.publish(.progress("two", 1))
        hub.publish(.progress("one", 2))
        #expect(progressOnly.pendingCount == 2)
        #expect(everything.pendingCount == 4)
        hub.finish()
        #expect(await progressOnly.readToEnd() == [.progress("one", 2), .progress("two", 1)])
        #expect(await everything.readToEnd() == [.said("a"), .progress("one", 2), .said("b"), .progress("two", 1)])
    }

    @Test("Once a keyed event was read, the next one with that key queues at the end")
    func readKeyStartsNewSlot() async {
        let hub = makeHub()
        let subscription = hub.subscribe()
        hub.publish(.progress("one", 1))
        hub.publish(.said("a"))
        #expect(await subscription.next() == .progress("one", 1))
        hub.publish(.progress("one", 2))
        hub.publish(.said("b"))
        hub.publish(.progress("one", 3))
        #expect(await read(3, from: subscription) == [.said("a"), .progress("one", 3), .said("b")])
    }

    @Test("A reading loop that stops early loses nothing: the next loop goes on where it stopped")
    func breakingOutOfALoopKeepsTheRest() async {
        let hub = makeHub()
        let subscription = hub.subscribe()
        for index in 0..<10 { hub.publish(.said("\(index)")) }
        var first: [Note] = []
        for await note in subscription {
            first.append(note)
            if first.count == 3 { break }
        }
        #expect(first == [.said("0"), .said("1"), .said("2")])
        #expect(subscription.pendingCount == 7)
        hub.publish(.said("10"))
        #expect(await read(8, from: subscription) == (3...10).map { .said("\($0)") })
        #expect(subscription.pendingCount == 0)
    }

    @Test("Keyed events published after a read still coalesce with each other")
    func coalescesAfterABatchWasTaken() async {
        let hub = makeHub()
        let subscription = hub.subscribe()
        hub.publish(.progress("one", 1))
        hub.publish(.said("a"))
        hub.publish(.said("b"))
        // Reading one takes the whole buffer; what remains of it is still delivered in order.
        #expect(await subscription.next() == .progress("one", 1))
        hub.publish(.progress("one", 2))
        hub.publish(.progress("one", 3))
        #expect(subscription.pendingCount == 3)
        #expect(await read(3, from: subscription) == [.said("a"), .said("b"), .progress("one", 3)])
    }

    @Test("Events without a key are never merged or dropped, however many wait")
    func neverDropsUnkeyed() async {
        let hub = makeHub()
        let subscription = hub.subscribe()
        for index in 0..<10_000 {
            hub.publish(.said("\(index)"))
            hub.publish(.progress("bar", index))
        }
        #expect(subscription.pendingCount == 10_001)
        let notes = await read(10_001, from: subscription)
        #expect(notes.first == .said("0"))
        #expect(notes[1] == .progress("bar", 9_999))
        #expect(Array(notes.dropFirst(2)) == (1..<10_000).map { Note.said("\($0)") })
    }

    @Test("Every subscriber gets every event in publish order, at its own pace")
    func fansOutInOrder() async {
        let hub = makeHub()
        let fast = hub.subscribe()
        let slow = hub.subscribe()
        let expected = (0..<100).map { Note.said("\($0)") }
        async let fastRead = read(100, from: fast)
        for note in expected { hub.publish(note) }
        #expect(await fastRead == expected)
        #expect(slow.pendingCount == 100)
        #expect(await read(100, from: slow) == expected)
    }

    @Test("A reader waiting for the next event gets it when it is published")
    func wakesWaitingReader() async {
        let hub = makeHub()
        let subscription = hub.subscribe()
        async let next = subscription.next()
        hub.publish(.progress("one", 1))
        #expect(await next == .progress("one", 1))
    }

    @Test("A cancelled reader returns nil, and the subscription still serves the next reader")
    func cancelledReaderReturnsNil() async {
        let hub = makeHub()
        let subscription = hub.subscribe()
        let reader = Task { await subscription.next() }
        reader.cancel()
        #expect(await reader.value == nil)
        hub.publish(.said("after"))
        #expect(await subscription.next() == .said("after"))
    }

    @Test("Finishing lets buffered events be read, then ends every subscription; a later subscriber ends at once")
    func finishDrainsThenEnds() async {
        let hub = makeHub()
        let subscription = hub.subscribe()
        hub.publish(.said("a"))
        hub.publish(.progress("one", 1))
        hub.finish()
        hub.publish(.said("dropped after finish"))
        #expect(await subscription.readToEnd() == [.said("a"), .progress("one", 1)])
        #expect(await subscription.next() == nil)
        #expect(await hub.subscribe().next() == nil)
    }

    @Test("Finishing wakes a reader that waits for an event")
    func finishWakesWaitingReader() async {
        let hub = makeHub()
        let subscription = hub.subscribe()
        async let next = subscription.next()
        hub.finish()
        #expect(await next == nil)
    }

    @Test("A subscription that is dropped is forgotten by the hub")
    func forgetsDroppedSubscriptions() {
        let hub = makeHub()
        let kept = hub.subscribe()
        do {
            let dropped = hub.subscribe()
            #expect(hub.subscriberCount == 2)
            _ = dropped
        }
        hub.publish(.said("a"))
        #expect(hub.subscriberCount == 1)
        #expect(kept.pendingCount == 1)
    }

    @Test("A batch reaches every subscriber as its events published one by one would: in order, coalesced, filtered")
    func batchIsDeliveredAsOneByOne() async {
        let batch: [Note] = [
            .said("a"), .progress("one", 1), .said("b"), .progress("two", 1), .progress("one", 2), .said("c"), .progress("one", 3),
        ]
        let isProgress: @Sendable (Note) -> Bool = { if case .progress = $0 { true } else { false } }
        let oneByOne = makeHub()
        let together = makeHub()
        let subscriptions = [oneByOne, together].map { hub in (all: hub.subscribe(), progress: hub.subscribe(where: isProgress)) }
        oneByOne.publish(.progress("one", 0))
        together.publish(.progress("one", 0))
        for note in batch { oneByOne.publish(note) }
        together.publish(contentsOf: batch)
        together.publish(contentsOf: [])
        for hub in [oneByOne, together] { hub.finish() }
        for subscription in subscriptions {
            #expect(await subscription.all.readToEnd()
                == [.progress("one", 3), .said("a"), .said("b"), .progress("two", 1), .said("c")])
            #expect(await subscription.progress.readToEnd() == [.progress("one", 3), .progress("two", 1)])
        }
    }

    @Test("A reader waiting when a batch comes gets its first event, and the rest stays buffered behind it in order")
    func batchWakesWaitingReaderOnce() async {
        let hub = makeHub()
        let subscription = hub.subscribe()
        let filtered = hub.subscribe(where: { $0 != .said("a") })
        async let next = subscription.next()
        async let nextFiltered = filtered.next()
        // Whether or not the readers were parked yet, the same events come out.
        hub.publish(contentsOf: [.said("a"), .said("x"), .progress("one", 1), .said("b"), .progress("one", 2)])
        #expect(await next == .said("a"))
        #expect(await nextFiltered == .said("x"))
        hub.finish()
        #expect(await subscription.readToEnd() == [.said("x"), .progress("one", 2), .said("b")])
        #expect(await filtered.readToEnd() == [.progress("one", 2), .said("b")])
    }

    @Test("Publishers on many tasks at once never lose an event")
    func concurrentPublishers() async {
        let hub = makeHub()
        let subscription = hub.subscribe()
        await withTaskGroup(of: Void.self) { group in
            for publisher in 0..<8 {
                group.addTask {
                    for index in 0..<500 { hub.publish(.said("\(publisher)-\(index)")) }
                }
            }
        }
        let notes = await read(4_000, from: subscription)
        #expect(Set(notes).count == 4_000)
        for publisher in 0..<8 {
            let own = notes.filter { if case .said(let text) = $0 { text.hasPrefix("\(publisher)-") } else { false } }
            #expect(own == (0..<500).map { Note.said("\(publisher)-\($0)") }, "one publisher's events stay in order")
        }
    }
}
