import Foundation
import Testing
@testable import MusterCore

@Suite("The records waiting for one output")
struct RecordBufferTests {
    private func progress(_ line: String, call: String = "c1", at seconds: Double, sequence: Int) -> SessionRecord {
        SessionRecord(
            sequence: sequence, time: Date(timeIntervalSince1970: seconds),
            event: .toolProgress(agent: .main, callID: call, line: line, lines: 1)
        )
    }

    @Test("past the threshold a call's lines join its waiting record, which keeps the newest line and its time")
    func joinedRecordTakesTheNewestTime() throws {
        var buffer = RecordBuffer(coalescingThreshold: 2)
        buffer.append(progress("one", at: 1, sequence: 1))
        buffer.append(progress("two", at: 2, sequence: 2))
        for index in 3...100 { buffer.append(progress("line \(index)", at: Double(index), sequence: index)) }
        #expect(buffer.count == 2, "bounded: the flood joined the newest waiting record")
        #expect(buffer.admitted == 100)
        let records = buffer.takeAll()
        let last = try #require(records.last)
        guard case .toolProgress(_, _, let line, let lines) = last.event else { Issue.record("not progress"); return }
        #expect(line == "line 100")
        #expect(lines == 99)
        #expect(last.time == Date(timeIntervalSince1970: 100), "the log reaches as far as its newest line")
        #expect(last.sequence == 2)
    }
}
