@testable import MusterCore
import Testing

/// The chunked FIFO under every subscriber's buffer.
@Suite("Chunked queue")
struct ChunkedQueueTests {
    @Test("elements come out in order across chunk boundaries, and one can be replaced in place by its position")
    func orderAndReplace() {
        var queue = ChunkedQueue<Int>()
        let total = ChunkedQueue<Int>.chunkSize * 3 + 17
        for value in 0..<total { queue.append(value) }
        #expect(queue.count == total)
        for expected in 0..<600 { #expect(queue.popFirst() == expected) }
        // Position 0 is now element 600; replace one in the last, partly filled chunk.
        queue[total - 601] = -1
        #expect(queue[0] == 600)
        var rest: [Int] = []
        while let value = queue.popFirst() { rest.append(value) }
        #expect(rest == Array(600..<(total - 1)) + [-1])
        #expect(queue.isEmpty)
    }

    @Test("a queue drained and filled again reuses its chunks and keeps its order")
    func reuse() {
        var queue = ChunkedQueue<String>()
        for round in 0..<3 {
            for value in 0..<1_000 { queue.append("\(round).\(value)") }
            var out: [String] = []
            while let value = queue.popFirst() { out.append(value) }
            #expect(out == (0..<1_000).map { "\(round).\($0)" })
            #expect(queue.chunks.isEmpty)
            #expect(queue.spare.count <= 4)
        }
    }
}
