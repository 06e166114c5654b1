import Foundation
@testable import MusterCore
import MusterPresentation
import MusterTestSupport
import Testing

/// A transcript per agent: bounded, the newest kept, what was dropped counted and said.
@Suite("Agent transcript")
struct AgentTranscriptTests {
    @Test("a flood of 100,000 lines keeps the newest within the bound, counts the dropped ones, and cuts long lines")
    func flood() {
        #expect(AgentTranscript().limit == 400, "the bound the README gives")
        var transcript = AgentTranscript(limit: 400)
        for index in 0..<100_000 { transcript.append("line \(index)") }
        #expect(transcript.lines.count == 400)
        #expect(transcript.lines.first == "line 99600")
        #expect(transcript.lines.last == "line 99999")
        #expect(transcript.dropped == 99_600)

        // Memory stays bounded whatever the lines: every kept line is cut to the line limit.
        transcript.append(String(repeating: "x", count: 1_000_000) + "\n" + String(repeating: "y\n", count: 50_000))
        #expect(transcript.lines.count == 400)
        #expect(transcript.dropped == 99_600 + 50_002)
        let bytes = transcript.lines.reduce(0) { $0 + $1.utf8.count }
        #expect(bytes <= 400 * (AgentTranscript.lineLimit + 3))
        #expect(transcript.lines.last == "")
    }

    @Test("long lines are bounded by bytes too: the newest whole lines within 32 KB, the others counted as dropped")
    func byteBound() throws {
        var transcript = AgentTranscript()
        let lines = (0..<1_000).map { index in
            let head = "line \(index) "
            return head + String(repeating: "é", count: AgentTranscript.lineLimit - head.count)
        }
        for line in lines { transcript.append(line) }
        #expect(transcript.keptBytes <= AgentTranscript.defaultByteLimit)
        #expect(transcript.keptBytes > AgentTranscript.defaultByteLimit - 400, "full up to the last line that fits")
        #expect(transcript.lines == Array(lines.suffix(transcript.count)))
        #expect(transcript.dropped == 1_000 - transcript.count)

        // One character of a thousand combining marks is cut by bytes, not kept whole.
        transcript.append("a" + String(repeating: "\u{301}", count: 1_000))
        let last = try #require(transcript.lines.last)
        #expect(last.utf8.count <= 800)
        #expect(last.hasSuffix("…"))
    }

    @Test("a transcript read back from JSON keeps its lines and what it dropped")
    func codable() throws {
        var transcript = AgentTranscript(limit: 3)
        for index in 0..<5 { transcript.append("l\(index)") }
        let decoded = try JSONDecoder().decode(AgentTranscript.self, from: JSONEncoder().encode(transcript))
        #expect(decoded == transcript)
        #expect(decoded.lines == ["l2", "l3", "l4"])
        #expect(decoded.dropped == 2)
    }

    @Test("a tool result keeps its first lines and says how many more there were")
    func result() {
        let ten = (1...10).map { "r\($0)" }.joined(separator: "\n")
        #expect(AgentTranscript.result(ten, isError: false) == "  r1\n  r2\n  r3\n  … 7 more lines")
        #expect(AgentTranscript.result("boom", isError: true) == "  error:\n  boom")
    }

    @Test("an agent's transcript has its text, each call with its arguments and result, and its children's results; /tasks show gives the tail or all")
    func recorded() async throws {
        let model = ClosureModel { agent, turn, _ in
            switch (agent, turn) {
            case ("outer", 0):
                [.textDelta("Mapping the tree"), .call("emit", ["tag": "x", "count": 2]),
                 .call("agent", ["name": "inner", "prompt": "p", "background": false]), .end]
            case ("outer", _): [.textDelta("outer done"), .end]
            default: [.textDelta("inner done"), .end]
            }
        }
        let runtime = makeRuntime(model: model, tools: [EmitTool()])
        let events = runtime.events.subscribe()
        let outer = try await runtime.startBackgroundAgent(name: "outer", prompt: "go", spawner: .topLevel)
        for await event in events {
            if case .task(.finished(let snapshot)) = event, snapshot.id == outer { break }
        }
        let transcript = try #require(await runtime.registry.transcript(of: outer))
        #expect(transcript.lines.first == "Mapping the tree")
        #expect(transcript.lines.contains(#"→ emit {"count":2,"tag":"x"}"#))
        #expect(transcript.lines.contains("  x"))
        #expect(transcript.lines.contains { $0.hasPrefix(#"→ agent {"background":false,"name":"inner""#) })
        #expect(transcript.lines.contains("← #2 inner completed"))
        #expect(transcript.lines.contains("  inner done"))
        #expect(transcript.lines.last == "outer done")

        let processor = CommandProcessor(registry: runtime.registry)
        let shown = ReplyFormatter.lines(for: await processor.run("/tasks show 1 all")).map(\.text)
        #expect(shown.contains("Transcript:"))
        #expect(shown.contains("  Mapping the tree"))
        #expect(shown.contains { $0.hasPrefix("Usage: ") })
    }

    @Test("/tasks show says how many earlier lines it leaves out; all shows every kept line and what was dropped")
    func tailAndAll() throws {
        var transcript = AgentTranscript(limit: 30)
        for index in 0..<40 { transcript.append("l\(index)") }
        let task = TaskSnapshot(
            id: TaskID(3), name: "w", kind: .agent, description: "d", spawner: .topLevel, mode: .background,
            status: .running(step: 1, activity: nil), cancelRequested: nil, startedAt: .zero, endedAt: nil,
            startDate: .distantPast, age: .seconds(1), trail: []
        )
        let tail = TaskTable.detail(of: task, transcript: transcript).map(\.text)
        let start = try #require(tail.firstIndex(of: "Transcript:"))
        #expect(tail[start + 1] == "  (20 earlier lines not shown; /tasks show #3 all shows the 30 kept)")
        #expect(tail[start + 2] == "  l20")
        #expect(tail[start + 21] == "  l39")
        let all = TaskTable.detail(of: task, transcript: transcript, all: true).map(\.text)
        let allStart = try #require(all.firstIndex(of: "Transcript:"))
        #expect(all[allStart + 1] == "  (10 earlier lines dropped; the session log has them)")
        #expect(all[allStart + 2] == "  l10")
        #expect(all.filter { $0.hasPrefix("  l") }.count == 30)
    }

    @Test("/tasks show <id> all, full or --all asks for the whole transcript; another word is a usage error")
    func parser() {
        let parser = SlashCommandParser()
        for word in ["all", "full", "--all", "ALL"] {
            #expect(parser.parse("/tasks show 3 \(word)") == .success(.showTask(TaskID(3), all: true)))
        }
        #expect(parser.parse("/tasks show 3") == .success(.showTask(TaskID(3), all: false)))
        #expect((try? parser.parse("/tasks show 3 everything").get()) == nil)
    }
}
