import Foundation
import MusterCore
import MusterPresentation
import MusterTUI
import MusterTestSupport

/// `muster --continue` of a large session: a log of `tasks` tasks (a tenth still running, so
/// they come back paused) and about `records` records, found, read, put into a fresh session
/// (registry, paused agents, the main conversation, the new log), and its first frame drawn.
@MainActor
struct ResumeBenchmark {
    let report: BenchmarkReport

    private static let size = ScreenSize(rows: 40, columns: 120)

    func run(tasks: Int, records: Int) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("muster-bench-resume-\(getpid())")
        try? FileManager.default.removeItem(at: directory)
        let environment = ["XDG_STATE_HOME": directory.path]
        let sessions = SessionLogLocation.sessionsDirectory(environment: environment)
        try FileManager.default.createDirectory(at: sessions, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let workspace = "/bench/workspace"
        let (lines, written) = try await Self.makeLog(tasks: tasks, records: records, workspace: workspace)
        let file = sessions.appendingPathComponent(SessionLogLocation.fileName(startedAt: Date(), sessionID: "be0c4000"))
        try Data(lines.utf8).write(to: file)
        let megabytes = Double(lines.utf8.count) / 1_048_576

        var loads: [Double] = []
        var readies: [Double] = []
        var frames: [Double] = []
        var restoredAgents = 0
        for _ in 0..<5 {
            let runtime = makeRuntime(model: ClosureModel { _, _, _ in [.end] }, tools: [], maxBackgroundAgents: 10)
            let session = Session(runtime: runtime)
            let recorder = SessionRecorder.start(
                session: session, log: .file(directory.appendingPathComponent("new-\(loads.count).jsonl")),
                metadata: SessionMetadata(mode: .interactive, workspace: workspace), environment: environment
            )
            let start = ContinuousClock.now
            let loaded = try SessionResume.load(.latest, location: .sessionsDirectory, workspace: workspace, environment: environment)
            let load = ContinuousClock.now
            let resumed = await ResumedSession.apply(loaded, to: session)
            let subscription = session.events.subscribe()
            await session.start()
            let ready = ContinuousClock.now
            // The front end's first frame: the overview, the restored transcript and the notices.
            let overview = await session.overview()
            var state = InteractiveState(size: Self.size, theme: Theme(usesColor: true), pill: PillState(overview))
            state.seedTasks(overview.tasks)
            state.append(ResumeText.transcript(of: loaded.restore.mainConversation))
            state.append(ResumeText.notices(for: resumed).flatMap { TranscriptLine.lines("⚠ " + $0, style: .warning) })
            TextGridScreen(size: Self.size).present(InteractiveRenderer.frame(for: &state))
            let painted = ContinuousClock.now
            loads.append((load - start).milliseconds)
            readies.append((ready - start).milliseconds)
            frames.append((painted - start).milliseconds)
            restoredAgents = resumed.agents.count
            subscription.finish()
            await recorder.finish(ending: .quit)
        }
        let load = Distribution(loads)
        let ready = Distribution(readies)
        let frame = Distribution(frames)
        report.add(
            "resume", "resume \(tasks) tasks / \(written) records (\(String(format: "%.0f", megabytes)) MB): log found and read, median of 5",
            load.median, unit: "ms"
        )
        report.add(
            "resume", "the same, until the session is ready (\(restoredAgents) agents paused, the rest listed), median of 5",
            ready.median, unit: "ms"
        )
        report.add(
            "resume", "the same, until its first frame is on the in-memory screen, median of 5", frame.median, unit: "ms",
            target: "< 500 ms", met: frame.median < 500
        )
    }

    /// A session log as the recorder writes it: `tasks` background agents, each with its
    /// conversation growing over tool calls (start, progress, end, usage, conversation records),
    /// nine in ten finished and most of their results delivered to the main agent; padded with
    /// progress lines to about `records` records. Returns the text and the number of records.
    static func makeLog(tasks: Int, records: Int, workspace: String) async throws -> (String, Int) {
        let id = "be0c4000"
        // Real snapshots, from a registry: every tenth task still running.
        let registry = TaskRegistry(configuration: .init(maxBackgroundAgents: tasks + 1, keepFinished: tasks))
        let events = registry.events.subscribe()
        let gate = Gate()
        var ids: [TaskID] = []
        for index in 0..<tasks {
            ids.append(try await registry.start(.init(name: "agent\(index % 17)", description: "survey part \(index)", mode: .background)) { _ in
                if index % 10 == 0 { try await gate.wait() }
                return "part \(index) surveyed: 12 files, 3 TODOs"
            })
        }
        var started: [TaskID: TaskSnapshot] = [:]
        var finished: [TaskID: TaskSnapshot] = [:]
        let expected = tasks - (tasks + 9) / 10
        while started.count < tasks || finished.count < expected, let event = await events.next() {
            if case .task(.started(let snapshot)) = event { started[snapshot.id] = snapshot }
            if case .task(.finished(let snapshot)) = event { finished[snapshot.id] = snapshot }
        }
        _ = await registry.cancelAll()
        gate.open()

        var sequence = 0
        var out = ""
        out.reserveCapacity(records * 260)
        func add(_ event: SessionEvent) {
            sequence += 1
            out += SessionRecord(sequence: sequence, time: Date(), event: event, sessionID: id).jsonLine + "\n"
        }
        add(.sessionStart(SessionStart(sessionID: id, pid: 999_999_999, logFile: nil, metadata: SessionMetadata(mode: .interactive, workspace: workspace))))
        var main: [ChatMessage] = [.system("You are the main agent."), .user("survey everything")]
        add(.conversation(ConversationRecord(agent: .main, from: 0, messages: main)))
        let perTask = max(1, records / max(1, tasks))
        for taskID in ids {
            guard let snapshot = started[taskID] else { continue }
            let agent = AgentRef(name: snapshot.name, taskID: taskID)
            add(.task(.started(snapshot)))
            var conversation: [ChatMessage] = [.system("You are \(snapshot.name)."), .user(snapshot.description)]
            add(.conversation(ConversationRecord(agent: agent, from: 0, messages: conversation)))
            var written = 3
            var call = 0
            while written < perTask {
                call += 1
                let toolCall = ToolCall(id: "call_\(taskID.rawValue)_\(call)", name: "grep", arguments: ["pattern": "TODO", "path": .string("src/part\(call)")])
                let from = conversation.count
                conversation.append(.assistant(text: "Looking at part \(call).", toolCalls: [toolCall]))
                add(.conversation(ConversationRecord(agent: agent, from: from, messages: [conversation[from]])))
                add(.toolStart(agent: agent, callID: toolCall.id, tool: "grep", arguments: toolCall.arguments))
                for line in 0..<5 { add(.toolProgress(agent: agent, callID: toolCall.id, line: "src/part\(call)/file\(line).swift:12: // TODO: tidy")) }
                let output = "src/part\(call)/file0.swift:12: // TODO: tidy\nsrc/part\(call)/file3.swift:40: // TODO: test"
                add(.toolEnd(agent: agent, callID: toolCall.id, tool: "grep", output: ToolOutput(output)))
                conversation.append(.tool(callID: toolCall.id, name: "grep", content: output))
                add(.conversation(ConversationRecord(agent: agent, from: from + 1, messages: [conversation[from + 1]])))
                add(.modelUsage(agent: agent, usage: Usage(inputTokens: 900, outputTokens: 60)))
                written += 10
            }
            if let end = finished[taskID] {
                add(.task(.finished(end)))
                // Nine results in ten reached the main agent's conversation.
                if taskID.rawValue % 10 != 1 {
                    let result = TaskResult(id: taskID, name: end.name, description: end.description, status: end.status, duration: end.age, trail: end.trail)
                    let from = main.count
                    main.append(.user(BackgroundResultMessage.render(result)))
                    main.append(.assistant(text: "Noted the survey of \(end.description).", toolCalls: []))
                    add(.conversation(ConversationRecord(agent: .main, from: from, messages: Array(main[from...]))))
                }
            }
        }
        return (out, sequence)
    }
}
