import Foundation
import Testing
@testable import MusterCore

@Suite("How a run ends")
struct RunEndingTests {
    @Test("each ending has its documented exit code", arguments: [
        (RunEnding.completed, Int32(0)), (.quit, 0), (.agentFailed, 1), (.error, 1), (.usage, 2),
        (.hangup, 129), (.interrupted, 130), (.terminated, 143),
    ])
    func exitCodes(ending: RunEnding, code: Int32) {
        #expect(ending.exitCode == code)
    }

    @Test("the session log's words are the ones Docs/session-log.md documents, and read back")
    func logWords() {
        let words: [RunEnding: String] = [
            .completed: "completed", .agentFailed: "failed", .quit: "quit", .interrupted: "interrupted",
            .terminated: "terminated", .hangup: "hangup", .error: "error", .usage: "usage",
        ]
        for ending in RunEnding.allCases {
            #expect(ending.logWord == words[ending])
            #expect(RunEnding(logWord: ending.logWord) == ending)
        }
        #expect(RunEnding(logWord: "exploded") == nil)
    }

    @Test("a session_end written before RunEnding still decodes, with or without its exit code")
    func oldSessionEndDecodes() throws {
        for (word, ending) in [("failed", RunEnding.agentFailed), ("hangup", .hangup), ("quit", .quit)] {
            let json = #"{"ending":"\#(word)","exit_code":null,"session_id":"0badcafe","tasks":[]}"#
            let end = try JSONDecoder().decode(SessionEnd.self, from: Data(json.utf8))
            #expect(end.ending == ending)
            #expect(end.exitCode == nil)
        }
        let encoded = try JSONEncoder().encode(SessionEnd(sessionID: "0badcafe", ending: .agentFailed, exitCode: 1, tasks: []))
        #expect(String(decoding: encoded, as: UTF8.self).contains(#""ending":"failed""#))
    }

    @Test("a stop signal names its ending and back; other signals name none")
    func signals() {
        for (number, ending, name) in [(SIGINT, RunEnding.interrupted, "SIGINT"), (SIGTERM, .terminated, "SIGTERM"), (SIGHUP, .hangup, "SIGHUP")] {
            #expect(RunEnding(signal: number) == ending)
            #expect(ending.signal == number)
            #expect(ending.signalName == name)
            #expect(ending.exitCode == 128 + number)
        }
        #expect(RunEnding(signal: SIGWINCH) == nil)
        #expect(RunEnding.quit.signalName == nil)
    }
}
