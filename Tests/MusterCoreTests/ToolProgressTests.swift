import MusterCore
import Testing

@Suite("A tool call's progress stream")
struct ToolProgressTests {
    @Test("lines reach the call's own sink in the order they were reported")
    func forwardsInOrder() {
        let received = Recorder<String>()
        let (progress, _) = ToolProgress.forwarding { received.record($0) }
        for index in 0..<100 { progress.report("line \(index)") }
        #expect(received.values == (0..<100).map { "line \($0)" })
    }

    @Test("after the call closed its stream, every report is dropped")
    func closedStreamDropsReports() {
        let received = Recorder<String>()
        let (progress, close) = ToolProgress.forwarding { received.record($0) }
        progress.report("before")
        close()
        progress.report("after")
        close()
        #expect(received.values == ["before"])
    }

    @Test("two calls' streams never see each other's lines, even when reported at once")
    func streamsAreSeparate() async {
        let first = Recorder<String>()
        let second = Recorder<String>()
        let (one, _) = ToolProgress.forwarding { first.record($0) }
        let (two, _) = ToolProgress.forwarding { second.record($0) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for index in 0..<1_000 { one.report("one \(index)") } }
            group.addTask { for index in 0..<1_000 { two.report("two \(index)") } }
        }
        #expect(first.values == (0..<1_000).map { "one \($0)" })
        #expect(second.values == (0..<1_000).map { "two \($0)" })
    }

    @Test("the AsyncStream form ends when finished and keeps nothing reported later")
    func streamForm() async {
        let (stream, progress, finish) = ToolProgress.makeStream()
        progress.report("a")
        progress.report("b")
        finish()
        progress.report("late")
        var lines: [String] = []
        for await line in stream { lines.append(line) }
        #expect(lines == ["a", "b"])
    }

}
