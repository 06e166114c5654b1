import MusterCore
import Testing

@Suite("Slash command parsing")
struct CommandsParserTests {
    let parser = SlashCommandParser()

    private func parse(_ line: String) -> Result<SlashCommand, SlashCommandError> { parser.parse(line) }

    @Test("every command form parses to its command")
    func everyForm() {
        #expect(parse("/help") == .success(.help))
        #expect(parse("/tasks") == .success(.listTasks))
        #expect(parse("/tasks list") == .success(.listTasks))
        #expect(parse("/tasks show 7") == .success(.showTask(TaskID(7))))
        #expect(parse("/tasks stop 7") == .success(.stopTask(TaskID(7))))
        #expect(parse("/cancel 7") == .success(.stopTask(TaskID(7))))
        #expect(parse("/cancel all") == .success(.cancelAll))
        #expect(parse("/clear") == .success(.clear))
        #expect(parse("/quit") == .success(.quit))
    }

    @Test("/panel outside the full-screen UI says that this mode has no panel, not that the command is unknown")
    func panelElsewhere() {
        for line in ["/panel", "/panel off", "/PANEL on"] {
            guard case .failure(let error) = parse(line) else {
                Issue.record("\(line) parsed")
                continue
            }
            #expect(error.message.contains("this mode has no panel"), "\(line): \(error.message)")
        }
    }

    @Test("ids are accepted as 7 and as #7, with surrounding blanks and any case")
    func idForms() {
        #expect(parse("/tasks stop #7") == .success(.stopTask(TaskID(7))))
        #expect(parse("  /cancel   #12  ") == .success(.stopTask(TaskID(12))))
        #expect(parse("/TASKS Show 3") == .success(.showTask(TaskID(3))))
        #expect(parse("/Cancel ALL") == .success(.cancelAll))
    }

    @Test("a missing or malformed id gives the command's usage line")
    func usageLines() {
        #expect(parse("/tasks stop") == .failure(SlashCommandError("Usage: /tasks stop <id>")))
        #expect(parse("/tasks stop seven") == .failure(SlashCommandError("Usage: /tasks stop <id>")))
        #expect(parse("/tasks stop #") == .failure(SlashCommandError("Usage: /tasks stop <id>")))
        #expect(parse("/tasks stop 0") == .failure(SlashCommandError("Usage: /tasks stop <id>")))
        #expect(parse("/tasks stop -3") == .failure(SlashCommandError("Usage: /tasks stop <id>")))
        #expect(parse("/tasks stop 3 4") == .failure(SlashCommandError("Usage: /tasks stop <id>")))
        #expect(parse("/tasks show") == .failure(SlashCommandError("Usage: /tasks show <id> [all]")))
        #expect(parse("/tasks show ##2") == .failure(SlashCommandError("Usage: /tasks show <id> [all]")))
        #expect(parse("/cancel x") == .failure(SlashCommandError("Usage: /cancel <id>")))
        #expect(parse("/cancel") == .failure(SlashCommandError("Usage: /cancel <id> or /cancel all")))
        #expect(parse("/cancel all now") == .failure(SlashCommandError("Usage: /cancel all")))
        #expect(parse("/tasks frobnicate") == .failure(SlashCommandError("Usage: /tasks, /tasks show <id>, /tasks stop <id>, /tasks send <id> <text>, /tasks pause <id>|all, /tasks resume <id>|all, /tasks approve <id>, /tasks deny <id> [reason]")))
        #expect(parse("/quit now") == .failure(SlashCommandError("Usage: /quit")))
        #expect(parse("/help me") == .failure(SlashCommandError("Usage: /help")))
        #expect(parse("/clear all") == .failure(SlashCommandError("Usage: /clear")))
    }

    @Test("an unknown command says so and points to /help")
    func unknownCommand() {
        #expect(parse("/foo") == .failure(SlashCommandError("Unknown command /foo — try /help")))
        #expect(parse("/") == .failure(SlashCommandError("Unknown command / — try /help")))
    }

    @Test("a command close to a real one gets a suggestion")
    func suggestions() {
        #expect(parse("/taks") == .failure(SlashCommandError("Unknown command /taks — try /help (did you mean /tasks?)")))
        #expect(parse("/qiut") == .failure(SlashCommandError("Unknown command /qiut — try /help (did you mean /quit?)")))
        #expect(parse("/cancle 3") == .failure(SlashCommandError("Unknown command /cancle — try /help (did you mean /cancel?)")))
        #expect(parse("/exit") == .failure(SlashCommandError("Unknown command /exit — try /help (did you mean /quit?)")))
        #expect(parse("/cl") == .failure(SlashCommandError("Unknown command /cl — try /help (did you mean /clear?)")))
        #expect(parse("/zzzzzz") == .failure(SlashCommandError("Unknown command /zzzzzz — try /help")))
    }

    @Test("a very long unknown command is cut in the message")
    func longUnknownCommand() throws {
        let line = "/" + String(repeating: "x", count: 200)
        let message = try #require(parse(line).failureMessage)
        #expect(message.hasPrefix("Unknown command /xxx"))
        #expect(message.count < 80)
    }

    @Test("only lines whose first non-blank character is a slash are commands")
    func isCommand() {
        #expect(SlashCommandParser.isCommand("/tasks"))
        #expect(SlashCommandParser.isCommand("   /help"))
        #expect(!SlashCommandParser.isCommand("what is /tasks?"))
        #expect(!SlashCommandParser.isCommand(""))
    }

    @Test("every command is allowed while a turn runs and has a usage line in the catalogue")
    func catalogue() {
        let commands: [SlashCommand] = [.help, .listTasks, .showTask(TaskID(1)), .stopTask(TaskID(1)), .cancelAll, .clear, .quit, .sendMessage(TaskID(1), "hi"), .pauseTask(TaskID(1)), .resumeTask(TaskID(1)), .pauseAll, .resumeAll, .sandbox]
        for command in commands {
            #expect(command.isAllowedWhileTurnRuns)
            #expect(SlashCommandDescriptor.all.contains(command.descriptor))
        }
        #expect(SlashCommandDescriptor.names == ["help", "tasks", "cancel", "allow", "permissions", "panel", "sandbox", "clear", "quit"])
        #expect(SlashCommandDescriptor.subcommands(of: "tasks") == ["show", "stop", "send", "pause", "resume", "approve", "deny"])
    }

    @Test("words are split on runs of blanks, tabs included; quotes are ordinary characters")
    func whitespaceWords() {
        let parser = SlashCommandParser()
        #expect(parser.parse("  /tasks \t show   #3 ") == .success(.showTask(TaskID(3))))
        #expect(parser.parse("/tasks stop \"3\"").failureMessage == "Usage: /tasks stop <id>")
    }
}

extension Result where Failure == SlashCommandError {
    var failureMessage: String? {
        if case .failure(let error) = self { error.message } else { nil }
    }
}
