import MusterTUI
import Testing

@Suite("Tab completion of commands")
struct CommandCompleterTests {
    let completer = CommandCompleter()

    @Test("command names complete from their prefix")
    func names() {
        #expect(completer.complete("/h") == .replace("/help "))
        #expect(completer.complete("/q") == .replace("/quit "))
        #expect(completer.complete("/") == .candidates(["/help", "/tasks", "/cancel", "/allow", "/permissions", "/panel", "/sandbox", "/clear", "/quit"]))
        #expect(completer.complete("/TA") == .replace("/tasks "))
        #expect(completer.complete("/x") == .none)
    }

    @Test("subcommands complete after the command")
    func subcommands() {
        #expect(completer.complete("/cancel a") == .replace("/cancel all "))
        #expect(completer.complete("/tasks ") == .candidates(["/tasks show", "/tasks stop", "/tasks send", "/tasks pause", "/tasks resume", "/tasks approve", "/tasks deny"]))
        #expect(completer.complete("/tasks p") == .replace("/tasks pause "))
        #expect(completer.complete("/tasks sh") == .replace("/tasks show "))
        #expect(completer.complete("/tasks show 3") == .none)
        #expect(completer.complete("/quit ") == .none)
    }

    @Test("text that is not a command is left alone")
    func notCommands() {
        #expect(completer.complete("hello /ta") == .none)
        #expect(completer.complete("") == .none)
    }

    @Test("after /tasks stop, /tasks show and /cancel, Tab completes the ids of running tasks")
    func taskIDs() {
        let completer = CommandCompleter(taskIDs: [3, 7, 12])
        #expect(completer.complete("/tasks stop ") == .candidates(["#3", "#7", "#12"]))
        #expect(completer.complete("/tasks show 7") == .replace("/tasks show 7 "))
        #expect(completer.complete("/tasks stop #1") == .replace("/tasks stop #12 "))
        #expect(completer.complete("/cancel ") == .candidates(["/cancel all", "#3", "#7", "#12"]))
        #expect(completer.complete("/cancel 3") == .replace("/cancel 3 "))
        #expect(completer.complete("/cancel a") == .replace("/cancel all "))
        #expect(completer.complete("/tasks stop 9") == .none)
        #expect(completer.complete("/tasks stop 3 ") == .none)
        #expect(CommandCompleter(taskIDs: [5]).complete("/tasks stop ") == .replace("/tasks stop 5 "))
    }
}
