import Foundation
@testable import MusterCore
import Testing

@Suite("Sink channels: an output never ahead of the log")
struct SinkChannelTests {
    private static func records(_ count: Int) -> [SessionRecord] {
        (1...count).map { SessionRecord(sequence: $0, time: Date(), event: .warning("record \($0)"), sessionID: "s") }
    }

    @Test("a follower writes nothing the log has not written: while the log's write is held, the output waits; then it writes the same records")
    func followerWaitsForTheLog() async throws {
        let log = GatedSink()
        let output = GatedSink(open: true)
        let logChannel = SinkChannel(sink: log, coalescingThreshold: 100, onFirstFailure: { _ in })
        let outputChannel = SinkChannel(sink: output, coalescingThreshold: 100, onFirstFailure: { _ in }, following: logChannel)
        // As the recorder hands them over: to the log's channel first, in one step.
        for record in Self.records(3) {
            logChannel.append(record)
            outputChannel.append(record)
        }
        // Before: the output wrote all three at once while the log's write was still held.
        #expect(await !outputChannel.waitUntilWritten(3, patience: .milliseconds(300)), "the output got ahead of the log")
        #expect(output.lines.isEmpty)

        log.open()
        #expect(await outputChannel.waitUntilWritten(3, patience: .seconds(10)))
        #expect(output.lines == log.lines)
        #expect(output.lines.count == 3)
    }

    @Test("a stalled follower never holds back the log")
    func stalledFollowerDoesNotHoldTheLog() async throws {
        let log = GatedSink(open: true)
        let output = GatedSink()
        let logChannel = SinkChannel(sink: log, coalescingThreshold: 100, onFirstFailure: { _ in })
        let outputChannel = SinkChannel(sink: output, coalescingThreshold: 100, onFirstFailure: { _ in }, following: logChannel)
        for record in Self.records(5) {
            logChannel.append(record)
            outputChannel.append(record)
        }
        #expect(await logChannel.waitUntilWritten(5, patience: .seconds(10)))
        #expect(log.lines.count == 5)
        output.open()
        #expect(await outputChannel.waitUntilWritten(5, patience: .seconds(10)))
    }

    @Test("a log given up on (stuck) no longer holds its followers")
    func abandonedLeaderReleasesFollowers() async throws {
        let log = GatedSink()
        let output = GatedSink(open: true)
        let logChannel = SinkChannel(sink: log, coalescingThreshold: 100, onFirstFailure: { _ in })
        let outputChannel = SinkChannel(sink: output, coalescingThreshold: 100, onFirstFailure: { _ in }, following: logChannel)
        for record in Self.records(2) {
            logChannel.append(record)
            outputChannel.append(record)
        }
        logChannel.abandon()
        #expect(await outputChannel.waitUntilWritten(2, patience: .seconds(10)))
        #expect(output.lines.count == 2)
        log.open()
    }
}

/// A sink whose writes block (on its channel's queue) until it is opened; keeps every line.
private final class GatedSink: SessionRecordSink {
    private let gate = DispatchGroup()
    private let written = Locked<[String]>([])

    init(open: Bool = false) {
        if !open { gate.enter() }
    }

    var displayName: String { "the gated sink" }
    var wantsTextDeltas: Bool { false }

    func write(_ line: String) throws(SessionSinkError) {
        gate.wait()
        written.withLock { $0.append(contentsOf: line.split(separator: "\n").map(String.init)) }
    }

    func close() {}

    /// Lets every write through, now and later.
    func open() { gate.leave() }

    var lines: [String] { written.withLock { $0 } }
}
