import Foundation
@testable import MusterCore
import Testing

@Suite("Sink channels: an output never ahead of the log")
struct SinkChannelTests {
    /// A log's channel and an output's channel following it, with `count` records handed to
    /// both as the recorder hands them over: to the log's channel first, in one step.
    private static func channels(
        log: GatedSink, output: GatedSink, records count: Int
    ) -> (log: SinkChannel, output: SinkChannel) {
        let logChannel = SinkChannel(sink: log, coalescingThreshold: 100, onFirstFailure: { _ in })
        let outputChannel = SinkChannel(sink: output, coalescingThreshold: 100, onFirstFailure: { _ in }, following: logChannel)
        for sequence in 1...count {
            let record = SessionRecord(sequence: sequence, time: Date(), event: .warning("record \(sequence)"), sessionID: "s")
            logChannel.append(record)
            outputChannel.append(record)
        }
        return (logChannel, outputChannel)
    }

    @Test("a follower writes nothing the log has not written: while the log's write is held, the output waits; then it writes the same records")
    func followerWaitsForTheLog() async throws {
        let log = GatedSink()
        let output = GatedSink(open: true)
        let (_, outputChannel) = Self.channels(log: log, output: output, records: 3)
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
        let (logChannel, outputChannel) = Self.channels(log: log, output: output, records: 5)
        #expect(await logChannel.waitUntilWritten(5, patience: .seconds(10)))
        #expect(log.lines.count == 5)
        output.open()
        #expect(await outputChannel.waitUntilWritten(5, patience: .seconds(10)))
    }

    @Test("a log given up on (stuck) no longer holds its followers")
    func abandonedLeaderReleasesFollowers() async throws {
        let log = GatedSink()
        let output = GatedSink(open: true)
        let (logChannel, outputChannel) = Self.channels(log: log, output: output, records: 2)
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
