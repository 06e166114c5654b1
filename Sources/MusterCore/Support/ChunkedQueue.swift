import DequeModule

/// A FIFO queue kept in chunks of fixed size, for an `EventSubscription`'s buffer: growing never
/// copies what it holds, and emptied chunks are kept for reuse, so a queue that fills and drains
/// again touches no fresh memory (a `Deque` that doubled under a backlog spent more time on the
/// copies and the page faults of its new storage than on the events).
@usableFromInline
struct ChunkedQueue<Element: Sendable>: Sendable {
    @usableFromInline static var chunkSize: Int { 512 }
    /// Every chunk but the last is full; the first has been read up to `offset`.
    @usableFromInline var chunks: Deque<ContiguousArray<Element>> = []
    /// Emptied chunks kept for reuse (a few: a long backlog gives the rest back).
    @usableFromInline var spare: [ContiguousArray<Element>] = []
    @usableFromInline var offset = 0
    @usableFromInline var count = 0

    @inlinable init() {}

    @inlinable var isEmpty: Bool { count == 0 }

    @inlinable
    mutating func append(_ element: Element) {
        if let last = chunks.indices.last, chunks[last].count < Self.chunkSize {
            chunks[last].append(element)
        } else {
            var chunk = spare.popLast() ?? ContiguousArray()
            chunk.reserveCapacity(Self.chunkSize)
            chunk.append(element)
            chunks.append(chunk)
        }
        count += 1
    }

    /// The element `position` places after the first.
    @inlinable
    subscript(position: Int) -> Element {
        get {
            let index = offset + position
            return chunks[index / Self.chunkSize][index % Self.chunkSize]
        }
        set {
            let index = offset + position
            chunks[index / Self.chunkSize][index % Self.chunkSize] = newValue
        }
    }

    @inlinable
    mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = chunks[0][offset]
        offset += 1
        count -= 1
        if offset == Self.chunkSize || count == 0 {
            var chunk = chunks.removeFirst()
            chunk.removeAll(keepingCapacity: true)
            if spare.count < 4 { spare.append(chunk) }
            offset = 0
        }
        return element
    }
}
