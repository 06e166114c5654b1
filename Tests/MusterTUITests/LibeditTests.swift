import Foundation
import MusterCore
import MusterTUI
import Testing

@Suite("libedit: history file")
struct LibeditTests {
    private func temporaryFile() -> URL {
        FileManager.default.temporaryDirectory
            .appendingPathComponent("muster-history-\(UUID().uuidString)")
            .appendingPathComponent("state/muster/history")
    }

    @Test("history round-trips through libedit's file, creating its folder")
    func roundTrip() throws {
        let file = temporaryFile()
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()) }
        do {
            let history = try #require(CommandHistory(file: file))
            #expect(history.entries.isEmpty)
            history.add("go")
            history.add("/tasks stop #7")
            history.add("/tasks stop #7")
            history.add("with  two spaces and \"quotes\"")
            history.add("   ")
            #expect(history.saveError == nil)
        }
        let contents = try String(contentsOf: file, encoding: .utf8)
        #expect(contents.hasPrefix("_HiStOrY_V2_"))
        let reopened = try #require(CommandHistory(file: file))
        #expect(reopened.entries == ["go", "/tasks stop #7", "with  two spaces and \"quotes\""])
    }

    @Test("a history file that cannot be written is reported, not fatal")
    func unwritable() throws {
        let history = try #require(CommandHistory(file: URL(fileURLWithPath: "/proc/muster-no/history")))
        history.add("hello")
        #expect(history.saveError?.contains("Cannot save the input history") == true)
        #expect(history.entries == ["hello"])
    }

    @Test("the history keeps at most its limit")
    func limit() throws {
        let history = try #require(CommandHistory(file: nil, limit: 2))
        for line in ["a", "b", "c"] { history.add(line) }
        #expect(history.entries == ["b", "c"])
    }

    @Test("the history lives in the XDG state folder")
    func location() {
        #expect(HistoryLocation.file(environment: ["XDG_STATE_HOME": "/s", "HOME": "/h"])?.path == "/s/muster/history")
        #expect(HistoryLocation.file(environment: ["XDG_STATE_HOME": "relative", "HOME": "/h"])?.path == "/h/.local/state/muster/history")
        #expect(HistoryLocation.file(environment: ["HOME": "/h"])?.path == "/h/.local/state/muster/history")
    }
}
