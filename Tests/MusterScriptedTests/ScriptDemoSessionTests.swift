import Foundation
import Testing
import MusterCore
@testable import MusterScripted

@Suite("The quick demo played by a real session with the real tools", .timeLimit(.minutes(2)))
struct ScriptDemoSessionTests {
    @Test("the main agent launches three background agents whose real findings it then summarises")
    func wholeDemo() async throws {
        let folder = try ScriptTestFolder()
        try folder.write("notes.txt", "TODO: write the docs\nFIXME: a typo\n")
        try folder.write("src/big.txt", String(repeating: "a line of plain text\n", count: 300))
        try folder.write("src/small.swift", "let x = 1\n")
        try Data((0..<8000).map { UInt8($0 % 256) }).write(to: folder.url.appendingPathComponent("image.bin"))

        let script = try ScriptLoader.load(from: try ScriptLocator().locate("quick.json"))
        let runtime = AgentRuntime(
            registry: TaskRegistry(), model: ScriptedModel(script: script, clock: ContinuousClock(), workspace: folder.url),
            tools: BuiltInTools.all(), workspace: folder.url)
        let session = Session(runtime: runtime)
        let events = runtime.events.subscribe()
        await session.start()
        await session.send(.prompt("look around"))

        var mainMessages: [String] = []
        var reports: [String: String] = [:]
        var failedTools: [String] = []
        for await event in events {
            switch event {
            case .assistantMessage(let agent, let text) where agent == .main:
                mainMessages.append(text)
                // Results that arrive together are answered in one message, one report after another.
                for name in ["tree", "todos", "largest"] {
                    if let start = text.range(of: "\(name) (#") { reports[name] = String(text[start.lowerBound...]) }
                }
            case .toolEnd(let agent, _, let tool, let output) where output.isError:
                failedTools.append("\(agent.name) \(tool): \(output.content)")
            default:
                break
            }
            if reports.count == 3 { break }
        }
        _ = await session.shutdown()

        #expect(failedTools.isEmpty)
        #expect(mainMessages.first?.contains("three helpers") == true)
        #expect(mainMessages.dropFirst().first?.contains("/tasks stop <id>") == true)
        #expect(reports["tree"]?.contains("files: 4\n") == true, "\(reports["tree"] ?? "no tree report")")
        #expect(reports["todos"]?.contains("TODO: 1\nFIXME: 1\n") == true, "\(reports["todos"] ?? "no todos report")")
        #expect(reports["largest"]?.contains("largest text file: src/big.txt (6300 bytes, 300 lines)") == true,
                "\(reports["largest"] ?? "no largest report")")
        #expect(!mainMessages.joined().contains("[exit status"))
    }
}
