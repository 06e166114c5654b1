import ArgumentParser
import Foundation
import Logging
import MusterCore
import MusterPresentation

/// The `muster` command: interactive by default, headless with `-p`.
@main
struct Muster: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "muster",
        abstract: "A terminal agent shell whose background agents you can see and stop.",
        discussion: """
            Without -p, Muster starts an interactive session (curses, or a plain line mode when \
            stdin/stdout is not a terminal, TERM=dumb, or --plain). Type /help inside for commands.
            The default model is the scripted demo model: no network is used.
            """,
        version: MusterVersion.current
    )

    @Option(name: [.short, .customLong("print")], help: "Run headless on this prompt, print the answer, and exit.")
    var prompt: String?

    @Option(help: "Headless output: text (final answer), json (one object at the end), stream-json (one event per line).")
    var outputFormat: OutputFormat = .text

    // `.unconditional`: a negative number is taken as the value (and refused by `validate` with
    // the reason) instead of being read as an option, which said "Missing value".
    @Option(parsing: .unconditional, help: ArgumentHelp("Headless: seconds to wait for background agents after the main turn, then cancel the rest.", valueName: "seconds"))
    var backgroundTimeout: Double?

    @Flag(help: "Headless: cancel background agents when the main turn ends instead of waiting for them.")
    var noWait = false

    @Option(help: ArgumentHelp("Headless: how the main agent takes background results: each (a model call per result), batched (results arriving within 0.5 s share one), final (all in one turn once background work has ended; default).", valueName: "mode"))
    var summarize: SummarizeMode = .final

    @Option(help: ArgumentHelp("Write the session log here instead of $XDG_STATE_HOME/muster/sessions/.", valueName: "path"))
    var logFile: String?

    @Option(help: ArgumentHelp("Scripted-model script (JSON). Default: the bundled demo.", valueName: "path"))
    var script: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Cap on running background agents (default 10; env MUSTER_MAX_BACKGROUND_AGENTS).", valueName: "n"))
    var maxBackgroundAgents: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Cap on running background shells (default 10; env MUSTER_MAX_BACKGROUND_SHELLS).", valueName: "n"))
    var maxBackgroundShells: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds a stopped command's processes get between SIGTERM and SIGKILL (default 2; 0 kills at once).", valueName: "seconds"))
    var stopGrace: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("Background agents that may wait for a slot past the cap (default 0: refuse at the cap; env MUSTER_BACKGROUND_QUEUE).", valueName: "n"))
    var backgroundQueue: String?

    @Flag(help: "Use the plain line mode instead of the full-screen interface.")
    var plain = false

    @Flag(help: "Start without the agents panel above the status line (/panel on shows it).")
    var noAgentPanel = false

    @Option(help: ArgumentHelp("Workspace root the tools work in. Default: the current directory.", valueName: "path"))
    var workspace: String?

    @Option(help: ArgumentHelp("What shell commands may write: workspace-write (the workspace, the temp directory, a scratch directory), read-only (the scratch directory only) or off (default workspace-write where the kernel has Landlock; env MUSTER_SANDBOX).", valueName: "mode"))
    var sandbox: SandboxMode?

    @Option(help: ArgumentHelp("Sandboxed shell commands may open TCP connections and listen: on (default) or off (needs Landlock ABI 4).", valueName: "on|off"))
    var sandboxNetwork: Switch = .on

    @Option(help: ArgumentHelp("Model provider: scripted (default) or openai (env MUSTER_MODEL_PROVIDER).", valueName: "name"))
    var modelProvider: String?

    @Option(help: ArgumentHelp("OpenAI-compatible base URL (env MUSTER_BASE_URL).", valueName: "url"))
    var baseURL: String?

    @Option(help: ArgumentHelp("API key for the openai provider (env MUSTER_API_KEY).", valueName: "key"))
    var apiKey: String?

    @Option(help: ArgumentHelp("Model name for the openai provider (env MUSTER_MODEL).", valueName: "name"))
    var model: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Model calls allowed per agent before it fails (default 20; sub-agents 100 with the openai provider).", valueName: "n"))
    var stepLimit: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Budget of every sub-agent: tokens, its sub-agents' included (default: none).", valueName: "n"))
    var agentMaxTokens: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Budget of every sub-agent: seconds of running time (default: none).", valueName: "n"))
    var agentMaxSeconds: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Budget of every sub-agent: tool calls, its sub-agents' included (default: none).", valueName: "n"))
    var agentMaxToolCalls: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Budget of every sub-agent: model calls (default: none).", valueName: "n"))
    var agentMaxSteps: Int?

    @Option(help: ArgumentHelp("What agents may do without asking: ask (shell commands and edits ask, read-only commands do not; default), auto-edit (edits inside the workspace do not ask), auto (nothing asks). Env MUSTER_PERMISSION_MODE.", valueName: "mode"))
    var permissionMode: String?

    @Option(help: ArgumentHelp("A standing approval, e.g. 'shell: make test', 'shell: git *', 'edit: docs/*' (repeatable).", valueName: "rule"))
    var allow: [String] = []

    @Flag(name: .customLong("continue"), help: "Resume the latest session in this workspace (its conversation, tasks and paused background agents).")
    var continueSession = false

    @Option(help: ArgumentHelp("Resume this session (muster --resume with no id lists the recent sessions of this workspace).", valueName: "session-id"))
    var resume: String?

    @Flag(help: "With --continue or --resume: resume the restored background agents at once instead of leaving them paused.")
    var resumeBackground = false

    /// `--resume` given without an id (see `main`): list the sessions.
    @Flag(help: .hidden)
    var listSessions = false

    @Option(help: .hidden)
    var clock: ClockChoice?

    /// The session to resume, if any.
    var resumeTarget: SessionResume.Target? {
        if continueSession { return .latest }
        return resume.map(SessionResume.Target.id)
    }

    /// The session's sub-agent budget, from the `--agent-max-*` options.
    var agentBudget: TaskBudget {
        TaskBudget(maxTokens: agentMaxTokens, maxSeconds: agentMaxSeconds, maxToolCalls: agentMaxToolCalls, maxSteps: agentMaxSteps)
    }

    func validate() throws {
        if let backgroundTimeout, !(backgroundTimeout >= 0 && backgroundTimeout.isFinite) {
            throw ValidationError("--background-timeout must be 0 or more (seconds), not \(backgroundTimeout).")
        }
        if let stopGrace, !(stopGrace >= 0 && stopGrace <= 3600) {
            throw ValidationError("--stop-grace must be from 0 to 3600 seconds, not \(stopGrace).")
        }
        if let stepLimit, stepLimit < 1 { throw ValidationError("--step-limit must be at least 1, not \(stepLimit).") }
        for (name, value) in [("tokens", agentMaxTokens), ("seconds", agentMaxSeconds), ("tool-calls", agentMaxToolCalls), ("steps", agentMaxSteps)] {
            if let value, value < 1 { throw ValidationError("--agent-max-\(name) must be at least 1, not \(value).") }
        }
        if let prompt, prompt.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw ValidationError("-p/--print needs a prompt: the text is empty.")
        }
        if prompt == nil, noWait || backgroundTimeout != nil || outputFormat != .text || summarize != .final {
            throw ValidationError("--output-format, --background-timeout, --no-wait and --summarize apply only with -p/--print.")
        }
        if noWait, backgroundTimeout != nil {
            throw ValidationError("Use either --no-wait or --background-timeout, not both.")
        }
        if [continueSession, resume != nil, listSessions].filter({ $0 }).count > 1 {
            throw ValidationError("Use one of --continue, --resume <session-id> and --resume (list), not several.")
        }
        if resumeBackground, !continueSession, resume == nil {
            throw ValidationError("--resume-background applies only with --continue or --resume <session-id>.")
        }
        if listSessions, prompt != nil {
            throw ValidationError("--resume needs a session id with -p/--print (muster --resume alone lists them).")
        }
    }

    /// Parses arguments itself so that usage errors exit with 2 (documented), not 64.
    static func main() async {
        let command: Muster
        do {
            let parsed = try parseAsRoot(resumeListing(Array(CommandLine.arguments.dropFirst())))
            guard let muster = parsed as? Muster else {
                // `--help`, `-h` and `--help-hidden` parse as the parser's own help command: running
                // it throws the clean exit that prints the help below (exit 0).
                var other = parsed
                try other.run()
                Foundation.exit(RunEnding.completed.exitCode)
            }
            command = muster
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)
            }
            FileHandle.standardError.write(Data((inert(fullMessage(for: error)) + "\n").utf8))
            Foundation.exit(RunEnding.usage.exitCode)
        }
        // The one place a run's ending becomes the process's exit status.
        let ending = await command.execute()
        Foundation.exit(ending.exitCode)
    }

    /// `--resume` with no id (last, or before another option) becomes `--list-sessions`: the
    /// argument parser has no option whose value may be left out.
    static func resumeListing(_ arguments: [String]) -> [String] {
        var result: [String] = []
        for (index, argument) in arguments.enumerated() {
            if argument == "--" { return result + arguments[index...] }
            let next = arguments.indices.contains(index + 1) ? arguments[index + 1] : nil
            if argument == "--resume", next.map({ $0.hasPrefix("-") }) ?? true {
                result.append("--list-sessions")
            } else {
                result.append(argument)
            }
        }
        return result
    }

    func execute() async -> RunEnding {
        let environment = ProcessInfo.processInfo.environment
        FileLogging.bootstrap(environment: environment)
        // Before any tool runs: orphans of tool processes reparent to Muster, which stops them.
        if let problem = ToolProcessRegistry.shared.adoptOrphans() {
            Logger(label: "muster.processes").warning("\(problem)")
        }
        if listSessions {
            do {
                let workspace = try SessionSetup.resolveWorkspace(self.workspace).path
                let sessions = SessionResume.list(location: SessionLogLocation(logFile: logFile), workspace: workspace, environment: environment)
                FileHandle.standardOutput.write(Data(ResumeText.listing(sessions, workspace: workspace).map { $0 + "\n" }.joined().utf8))
                return .completed
            } catch {
                FileHandle.standardError.write(Data("muster: \(inert("\(error)"))\n".utf8))
                return .usage
            }
        }
        var setup: SessionSetup
        var resumed: SessionResume.Loaded?
        do {
            setup = try SessionSetup.make(from: self, environment: environment)
            // Found and read before this session's log exists (it would be the latest).
            if let target = resumeTarget {
                let workspace = setup.workspace.path
                switch Result(catching: { () throws(SessionResume.Failure) in
                    try SessionResume.load(target, location: SessionLogLocation(logFile: logFile), workspace: workspace, environment: environment)
                }) {
                case .success(let loaded):
                    resumed = loaded
                case .failure(.noSessionInWorkspace):
                    // Nothing to continue here yet: a new session, saying so.
                    setup.warnings.append("No earlier session in \(workspace) to continue: this is a new one.")
                case .failure(let failure):
                    throw failure
                }
            }
        } catch {
            // A script's mistake quotes the script: shown inert, like everything on standard error.
            FileHandle.standardError.write(Data("muster: \(inert("\(error)"))\n".utf8))
            return .usage
        }
        let ending: RunEnding
        if let prompt {
            ending = await runHeadless(setup: setup, command: self, prompt: prompt, resumed: resumed)
        } else {
            ending = await runInteractive(setup: setup, command: self, resumed: resumed)
        }
        await setup.closeModel()
        // Every call stopped its own processes; this catches what outlived a task that never returned.
        ToolProcessRegistry.shared.killAll()
        // No command of the session runs any more: its scratch directory goes with it.
        setup.session.runtime.backgroundShells.configuration.sandbox.removeScratch()
        return ending
    }
}

/// `text` with control characters and escape sequences made visible, line by line.
private func inert(_ text: String) -> String {
    TerminalSanitizer.lines(of: text).joined(separator: "\n")
}

/// Headless output formats.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text
    case json
    case streamJSON = "stream-json"
}

/// How a headless run's main agent takes background results (`--summarize`).
enum SummarizeMode: String, ExpressibleByArgument, CaseIterable, Sendable {
    case each
    case batched
    case final

    /// The session's settings for this mode.
    var configuration: Session.Configuration {
        switch self {
        case .each: Session.Configuration(delivery: .each, settleWindow: .zero)
        case .batched: Session.Configuration()
        case .final: Session.Configuration(waitForAllBackgroundWork: true)
        }
    }
}

extension SandboxMode: ExpressibleByArgument {}

/// `on` or `off`.
enum Switch: String, ExpressibleByArgument, CaseIterable, Sendable {
    case on
    case off
}

/// Which clock drives script delays and timeouts (hidden: tests use `immediate`).
enum ClockChoice: String, ExpressibleByArgument, CaseIterable, Sendable {
    case continuous
    case immediate
}

/// The version `muster --version` prints.
enum MusterVersion {
    static let current = "0.1.0"
}
