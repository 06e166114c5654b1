import Foundation
import Testing
import MusterCore
@testable import MusterScripted

@Suite("The first screen says which model runs and what to type, in the script's own words")
struct ScriptIntroductionTests {
    @Test("the bundled demo suggests the examples of its main scenarios, the fallback's first")
    func demoIntroduction() throws {
        let script = try ScriptLoader.load(from: try ScriptLocator.defaultScript())
        let examples = script.examples
        #expect(examples.first == "look around")
        #expect(Set(examples) == Set(script.agents["main"]!.scenarios.compactMap(\.example)))
        let line = try #require(ScriptedModel(script: script).introduction)
        #expect(line.hasPrefix("Demo model (scripted, no network): try 'look around', "))
        for example in examples { #expect(line.contains("'\(example)'")) }
    }

    @Test("a script of one's own names its file and suggests its own examples, or none")
    func ownScript() throws {
        let with = try ScriptLoader.load(text: #"""
            {"version": 1, "agents": {"main": {"scenarios": [
              {"name": "greet", "example": "hello there", "match": "hello", "turns": [{"say": "hi"}]},
              {"name": "rest", "turns": [{"say": "?"}]}]}}}
            """#, origin: "mine.json")
        #expect(ScriptedModel(script: with).introduction == "Scripted model mine.json (scripted, no network): try 'hello there'")
        let without = try ScriptLoader.load(text: scriptWithTurns(#"[{"say": "a"}]"#), origin: "bare.json")
        #expect(ScriptedModel(script: without).introduction == "Scripted model bare.json (scripted, no network).")
    }

    @Test("an empty example is a script mistake with its place")
    func emptyExample() {
        let message = scriptLoadError(#"{"version": 1, "agents": {"main": {"scenarios": [{"name": "a", "example": " ", "turns": [{"say": "x"}]}]}}}"#)
        #expect(message == "demo.json: agents.main.scenarios[0].example: expected a non-empty example of what a person types")
    }

    @Test("a directory or a device given as the script says what it is instead of a Cocoa error or 'no permission'")
    func notAScriptFile() throws {
        let directory = FileManager.default.temporaryDirectory
        #expect(throws: ScriptError.self) { try ScriptLoader.load(from: directory) }
        do {
            _ = try ScriptLoader.load(from: directory)
        } catch {
            #expect(error.description.hasSuffix("it is a directory, not a script file"))
        }
        do {
            _ = try ScriptLoader.load(from: URL(fileURLWithPath: "/dev/zero"))
            Issue.record("/dev/zero loaded")
        } catch {
            #expect(error.description.hasSuffix("it is not a regular file"))
        }
    }
}
