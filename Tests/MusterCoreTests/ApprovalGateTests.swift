import Foundation
import MusterTestSupport
import Testing
@testable import MusterCore

@Suite("Approvals: modes, rules and the gate every call passes")
struct ApprovalGateTests {
    let fixture: WorkspaceFixture

    init() throws {
        fixture = try WorkspaceFixture()
        try fixture.write("victim.txt", "keep me\n")
    }

    private func runtime(_ gate: ApprovalGate) -> AgentRuntime {
        makeRuntime(model: ClosureModel { _, _, _ in [.end] }, tools: BuiltInTools.workspaceTools(shellGrace: .milliseconds(100)), workspace: fixture.root, approvals: gate)
    }

    private var victimExists: Bool { FileManager.default.fileExists(atPath: fixture.root.appendingPathComponent("victim.txt").path) }

    /// Starts a call and returns its task and the request the gate published for it.
    private func startCall(
        _ call: ToolCall, agent: AgentRef = .main, on runtime: AgentRuntime
    ) async -> (Task<ToolOutput, Never>, ApprovalRequest?) {
        let subscription = runtime.events.subscribe()
        let task = Task { await ToolExecutor(runtime: runtime).runOne(call, agent: agent) }
        var request: ApprovalRequest?
        for await event in subscription {
            if case .approvalRequested(let asked) = event { request = asked; break }
            if case .toolEnd = event { break }
        }
        subscription.finish()
        return (task, request)
    }

    @Test("Rules: an exact command, and a * that never crosses ; & | < > $ ` or a line break")
    func rules() throws {
        let git = try PermissionRule.parse("shell: git *").get()
        #expect(git == PermissionRule(kind: .shell, pattern: "git *"))
        #expect(git.matches("git log -5"))
        #expect(git.matches("git "))
        for hostile in ["git log; rm -rf ~", "git log | sh", "git log && rm x", "git log > x", "git $(rm x)", "git `rm x`", "git log\nrm x", "gitx", "rm x; git log"] {
            #expect(!git.matches(hostile), "\(hostile)")
        }
        let exact = try PermissionRule.parse("  shell:make test ").get()
        #expect(exact.matches("make test"))
        #expect(!exact.matches("make test; rm x"))
        #expect(!exact.matches("make tests"))
        #expect(try PermissionRule.parse("edit: docs/*").get().matches("docs/guide.md"))
        #expect(throws: PermissionRuleError.self) { try PermissionRule.parse("make test").get() }
        #expect(throws: PermissionRuleError.self) { try PermissionRule.parse("run: make").get() }
        #expect(throws: PermissionRuleError.self) { try PermissionRule.parse("shell:  ").get() }
    }

    @Test("Modes: ask asks for shell and edits, auto-edit only for shell, auto never; read-only commands never ask")
    func modes() throws {
        let shell = ApprovalSubject.shell(command: "make test", directory: "/w")
        let edit = ApprovalSubject.edit(path: "a.txt", diff: "", summary: "(+1 −0)")
        let readOnly = ApprovalSubject.shell(command: "git status", directory: "/w")
        #expect(ApprovalGate(mode: .ask, canAsk: true).decide(shell) == .needsApproval(shell))
        #expect(ApprovalGate(mode: .ask, canAsk: true).decide(edit) == .needsApproval(edit))
        #expect(ApprovalGate(mode: .ask, canAsk: true).decide(readOnly) == .allowed)
        #expect(ApprovalGate(mode: .autoEdit, canAsk: true).decide(edit) == .allowed)
        #expect(ApprovalGate(mode: .autoEdit, canAsk: true).decide(shell) == .needsApproval(shell))
        #expect(ApprovalGate(mode: .auto, canAsk: true).decide(shell) == .allowed)
        #expect(ApprovalGate(mode: .ask, rules: [PermissionRule(kind: .shell, pattern: "make *")], canAsk: true).decide(shell) == .allowed)
        #expect(ApprovalGate(mode: .ask, rules: [PermissionRule(kind: .edit, pattern: "*.txt")], canAsk: true).decide(edit) == .allowed)
        #expect(throws: PermissionModeError.self) { try PermissionMode.resolve(flag: "yolo", environment: [:]) }
        #expect(try PermissionMode.resolve(flag: nil, environment: [:]) == .ask)
        #expect(try PermissionMode.resolve(flag: nil, environment: ["MUSTER_PERMISSION_MODE": "auto-edit"]) == .autoEdit)
        #expect(try PermissionMode.resolve(flag: "auto", environment: ["MUSTER_PERMISSION_MODE": "ask"]) == .auto)
    }

    @Test("Without a person, a call that needs approval is refused as a tool error, listed, and nothing runs")
    func headlessRefusal() async throws {
        let gate = ApprovalGate(mode: .ask, canAsk: false)
        let runtime = runtime(gate)
        let executor = ToolExecutor(runtime: runtime)
        let output = await executor.runOne(ToolCall(id: "c1", name: "shell", arguments: ["command": "rm victim.txt"]), agent: .main)
        #expect(output == .error("needs approval: shell: rm victim.txt was not run. Run with --permission-mode auto or --allow 'shell: rm victim.txt'."))
        #expect(victimExists)
        let edit = await executor.runOne(ToolCall(id: "c2", name: "write_file", arguments: ["path": "victim.txt", "content": "gone"]), agent: .main)
        #expect(edit.isError && edit.content.hasPrefix("needs approval: edit: victim.txt (+1 −1)"))
        #expect(try String(contentsOf: fixture.root.appendingPathComponent("victim.txt"), encoding: .utf8) == "keep me\n")
        let listed = await executor.runOne(ToolCall(id: "c3", name: "shell", arguments: ["command": "ls"]), agent: .main)
        #expect(!listed.isError && listed.content.contains("victim.txt"))
        #expect(gate.refusals == [
            ApprovalRefusal(taskID: nil, callID: "c1", tool: "shell", subject: "shell: rm victim.txt"),
            ApprovalRefusal(taskID: nil, callID: "c2", tool: "write_file", subject: "edit: victim.txt (+1 −1)"),
        ])
    }

    @Test("A denial reaches the model with its reason and the command does not run; y runs it")
    func denyThenApprove() async throws {
        let gate = ApprovalGate(mode: .ask, canAsk: true)
        let runtime = runtime(gate)
        let (denied, request) = await startCall(ToolCall(id: "c1", name: "shell", arguments: ["command": "rm victim.txt"]), on: runtime)
        let asked = try #require(request)
        #expect(asked.subject == .shell(command: "rm victim.txt", directory: fixture.root.path))
        #expect(gate.pending == [asked])
        #expect(gate.answer(asked.id, with: .deny(reason: "use git rm")))
        #expect(await denied.value == .error("The person denied this call: use git rm Do not retry it as it was."))
        #expect(victimExists)
        #expect(!gate.answer(asked.id, with: .once))

        let (approved, second) = await startCall(ToolCall(id: "c2", name: "shell", arguments: ["command": "rm victim.txt"]), on: runtime)
        #expect(gate.answer(try #require(second).id, with: .once))
        #expect(await approved.value.isError == false)
        #expect(!victimExists)
    }

    @Test("An edit asks with its unified diff; a denied edit leaves the file; always adds the rule")
    func editApproval() async throws {
        let gate = ApprovalGate(mode: .ask, canAsk: true)
        let runtime = runtime(gate)
        let call = ToolCall(id: "e1", name: "edit_file", arguments: ["path": "victim.txt", "old": "keep", "new": "lose"])
        let (denied, request) = await startCall(call, on: runtime)
        let asked = try #require(request)
        #expect(asked.subject == .edit(path: "victim.txt", diff: "--- a/victim.txt\n+++ b/victim.txt\n@@ -1 +1 @@\n-keep me\n+lose me\n", summary: "(+1 −1)"))
        gate.answer(asked.id, with: .deny(reason: nil))
        #expect(await denied.value == .error("The person denied this call. Do not retry it as it was."))
        #expect(try String(contentsOf: fixture.root.appendingPathComponent("victim.txt"), encoding: .utf8) == "keep me\n")

        let (always, again) = await startCall(call, on: runtime)
        gate.answer(try #require(again).id, with: .always)
        #expect(await always.value == ToolOutput("edited victim.txt (+1 −1)"))
        #expect(gate.rules == [PermissionRule(kind: .edit, pattern: "victim.txt")])
        // The rule approves the next edit of that file without asking.
        let next = await ToolExecutor(runtime: runtime).runOne(ToolCall(id: "e2", name: "edit_file", arguments: ["path": "victim.txt", "old": "lose", "new": "keep"]), agent: .main)
        #expect(next == ToolOutput("edited victim.txt (+1 −1)"))
    }

    @Test("An edit approved on a diff writes that change only: a file changed while it waited is left alone")
    func changedWhileWaiting() async throws {
        let gate = ApprovalGate(mode: .ask, canAsk: true)
        let runtime = runtime(gate)
        let (task, request) = await startCall(ToolCall(id: "e1", name: "edit_file", arguments: ["path": "victim.txt", "old": "keep", "new": "lose"]), on: runtime)
        // Someone else changes the file while the person reads the diff.
        try fixture.write("victim.txt", "keep me, and more\n")
        gate.answer(try #require(request).id, with: .once)
        #expect(await task.value == .error("\"victim.txt\" changed while the edit waited for approval; nothing was written. Read it again and redo the edit."))
        #expect(try String(contentsOf: fixture.root.appendingPathComponent("victim.txt"), encoding: .utf8) == "keep me, and more\n")
    }

    @Test("Stopping a call that waits for approval ends the wait at once: denied, then cancelled; a late answer finds nothing")
    func cancelWhileWaiting() async throws {
        let gate = ApprovalGate(mode: .ask, canAsk: true)
        let runtime = runtime(gate)
        let subscription = runtime.events.subscribe()
        let (task, request) = await startCall(ToolCall(id: "c1", name: "shell", arguments: ["command": "rm victim.txt"]), agent: AgentRef(name: "bg", taskID: TaskID(7)), on: runtime)
        let asked = try #require(request)
        task.cancel()
        #expect(await task.value == .error("Cancelled while waiting for approval."))
        #expect(gate.pending.isEmpty)
        #expect(!gate.answer(asked.id, with: .once))
        #expect(victimExists)
        let events = await subscription.collect { if case .toolEnd = $0 { true } else { false } }
        #expect(events.contains(.approvalAnswered(id: asked.id, agent: AgentRef(name: "bg", taskID: TaskID(7)), answer: .deny(reason: nil))))
    }

    @Test("An answer racing a stop resolves the wait exactly once, whichever wins", arguments: 0..<50)
    func answerRacesCancel(round: Int) async throws {
        let gate = ApprovalGate(mode: .ask, canAsk: true)
        let runtime = runtime(gate)
        let (task, request) = await startCall(ToolCall(id: "c\(round)", name: "shell", arguments: ["command": .string("touch raced-\(round)")]), on: runtime)
        let asked = try #require(request)
        async let answered = Task.detached { gate.answer(asked.id, with: .deny(reason: "no")) }.value
        task.cancel()
        let output = await task.value
        let won = await answered
        #expect(output.isError)
        #expect(output == (won ? .error("The person denied this call: no Do not retry it as it was.") : .error("Cancelled while waiting for approval.")) || output == .error("Cancelled while waiting for approval."))
        #expect(gate.pending.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: fixture.root.appendingPathComponent("raced-\(round)").path))
    }

    @Test("Several waiting requests queue in the order they asked")
    func queueOrder() async throws {
        let gate = ApprovalGate(mode: .ask, canAsk: true)
        let runtime = runtime(gate)
        let (first, one) = await startCall(ToolCall(id: "a", name: "shell", arguments: ["command": "touch a"]), agent: AgentRef(name: "x", taskID: TaskID(2)), on: runtime)
        let (second, two) = await startCall(ToolCall(id: "b", name: "shell", arguments: ["command": "touch b"]), agent: AgentRef(name: "y", taskID: TaskID(3)), on: runtime)
        #expect(gate.pending.map(\.callID) == ["a", "b"])
        let (firstID, secondID) = (try #require(one).id, try #require(two).id)
        #expect(firstID < secondID)
        gate.answer(try #require(two).id, with: .once)
        #expect(await second.value.isError == false)
        #expect(gate.pending.map(\.callID) == ["a"])
        first.cancel()
        _ = await first.value
    }
}

@Suite("Approval commands: /tasks approve|deny, /allow, /permissions")
struct ApprovalCommandTests {
    @Test("The parser reads the commands; the reason is the rest of the line")
    func parsing() throws {
        let parser = SlashCommandParser()
        #expect(try parser.parse("/tasks approve #3").get() == .approve(TaskID(3)))
        #expect(try parser.parse("/tasks deny 3 use  the unit tests").get() == .deny(TaskID(3), reason: "use  the unit tests"))
        #expect(try parser.parse("/tasks deny 3").get() == .deny(TaskID(3), reason: nil))
        #expect(try parser.parse("/allow shell: git *").get() == .allow("shell: git *"))
        #expect(try parser.parse("/permissions").get() == .permissions)
        #expect((try? parser.parse("/tasks approve").get()) == nil)
        #expect((try? parser.parse("/allow").get()) == nil)
    }

    @Test("/tasks approve answers the task's oldest waiting call; /tasks deny gives the reason; /allow and /permissions")
    func processing() async throws {
        let gate = ApprovalGate(mode: .ask, canAsk: true)
        let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: 2))
        let processor = CommandProcessor(registry: registry, approvals: gate)
        let worker = AgentRef(name: "worker", taskID: TaskID(5))
        let first = Task { await gate.authorize(subject: .shell(command: "make a", directory: "/w"), agent: worker, callID: "a", tool: "shell", publish: { _ in }) }
        let second = Task { await gate.authorize(subject: .shell(command: "make b", directory: "/w"), agent: worker, callID: "b", tool: "shell", publish: { _ in }) }
        while gate.pending.count < 2 { await Task.yield() }
        let ordered = gate.pending.map(\.callID)
        #expect(await processor.execute(.approve(TaskID(5))) == .approvalAnswered(.init(id: TaskID(5), name: "worker"), subject: "shell: make \(ordered[0])", answer: .once))
        #expect(await processor.execute(.deny(TaskID(5), reason: "not b")) == .approvalAnswered(.init(id: TaskID(5), name: "worker"), subject: "shell: make \(ordered[1])", answer: .deny(reason: "not b")))
        let outputs = [await first.value, await second.value]
        #expect(outputs.contains(nil))
        #expect(outputs.contains(.error("The person denied this call: not b Do not retry it as it was.")))
        #expect(await processor.execute(.approve(TaskID(5))) == .noApprovalPending(TaskID(5)))
        #expect(await processor.execute(.allow("shell: make *")) == .allowed(PermissionRule(kind: .shell, pattern: "make *"), added: true))
        #expect(await processor.execute(.allow("shell: make *")) == .allowed(PermissionRule(kind: .shell, pattern: "make *"), added: false))
        if case .usageError = await processor.execute(.allow("make")) {} else { Issue.record("a bad rule is a usage error") }
        #expect(await processor.execute(.permissions) == .permissions(mode: .ask, rules: [PermissionRule(kind: .shell, pattern: "make *")], pending: []))
    }
}
