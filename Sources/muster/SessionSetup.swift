import Clocks
import Foundation
import Logging
import MusterCore
import MusterOpenAI
import MusterPresentation
import MusterScripted

/// Everything a front end needs, built from the command line and the environment.
struct SessionSetup {
    let session: Session
    /// Warnings to show once at start (e.g. an invalid cap value).
    var warnings: [String]
    let workspace: URL
    /// Releases the model's resources (the OpenAI client's connections); call once at the end.
    let closeModel: @Sendable () async -> Void

    /// A clear, one-line reason the session could not be set up (exit code 2).
    struct SetupError: Error, CustomStringConvertible {
        let description: String
    }

    static func make(from command: Muster, environment: [String: String]) throws -> SessionSetup {
        var warnings: [String] = []
        let limit = BackgroundAgentLimit.resolve(flag: command.maxBackgroundAgents, environment: environment)
        if let warning = limit.warning { warnings.append(warning) }
        let shellLimit = BackgroundShellLimit.resolve(flag: command.maxBackgroundShells, environment: environment)
        if let warning = shellLimit.warning { warnings.append(warning) }
        let grace = Duration.milliseconds(Int64(((command.stopGrace ?? 2) * 1000).rounded()))
        let queue = BackgroundQueueSize.resolve(flag: command.backgroundQueue, environment: environment)
        if let warning = queue.warning { warnings.append(warning) }

        let mode: PermissionMode
        do {
            mode = try PermissionMode.resolve(flag: command.permissionMode, environment: environment)
        } catch {
            throw SetupError(description: error.description)
        }
        var rules: [PermissionRule] = []
        for text in command.allow {
            switch PermissionRule.parse(text) {
            case .success(let rule): rules.append(rule)
            case .failure(let error): throw SetupError(description: "--allow \(error)")
            }
        }
        // A headless run has nobody to ask: what needs approval is refused as a tool error.
        let approvals = ApprovalGate(mode: mode, rules: rules, canAsk: command.prompt == nil)
        let workspace = try resolveWorkspace(command.workspace)
        let sandbox: Sandbox
        do {
            let resolved = try SandboxSettings.resolve(
                flag: command.sandbox, denyNetwork: command.sandboxNetwork == .off, environment: environment, workspace: workspace
            )
            sandbox = resolved.sandbox
            warnings += resolved.warnings
            // The first screen says so whenever commands are not confined (the warning says why when it was not asked for).
            if sandbox.mode == .off, resolved.warnings.allSatisfy({ !$0.hasPrefix("Sandbox off") }) {
                warnings.append("Sandbox off: shell commands can write wherever you can.")
            }
        } catch {
            throw SetupError(description: "\(error)")
        }
        let clock = try chooseClock(command.clock, environment: environment)
        let tools = BuiltInTools.all(shellGrace: grace)
        let (model, closeModel) = try makeModel(command: command, environment: environment, clock: clock, toolNames: Set(tools.map(\.name)), workspace: workspace)

        // The scripted model's script says which approvals its calls expect.
        for rule in (model as? ScriptedModel)?.approvals ?? [] { approvals.allow(rule) }
        let registry = TaskRegistry(
            configuration: {
                var configuration = TaskRegistry.Configuration(maxBackgroundAgents: limit.value, backgroundQueue: queue.value)
                configuration.maxBackgroundShells = shellLimit.value
                return configuration
            }(),
            clock: clock,
            logger: Logger(label: "muster.registry")
        )
        let runtime = AgentRuntime(
            registry: registry, model: model, tools: tools, workspace: workspace, clock: clock,
            stepLimit: command.stepLimit ?? 20,
            // A real model's sub-agents do real work: 20 calls stopped it early (the scripted
            // model's scripts need no more than 20).
            subAgentStepLimit: command.stepLimit ?? (model is ScriptedModel ? 20 : 100),
            backgroundShells: BackgroundShells(configuration: .init(
                outputDirectory: shellOutputDirectory(environment: environment), grace: grace, sandbox: sandbox
            )),
            agentBudget: command.agentBudget,
            approvals: approvals,
            logger: Logger(label: "muster.agents")
        )
        return SessionSetup(session: Session(runtime: runtime, configuration: command.prompt == nil ? .init() : command.summarize.configuration), warnings: warnings, workspace: workspace, closeModel: closeModel)
    }

    /// `$XDG_STATE_HOME/muster/shells/<time>-<pid>`: this session's background shell output.
    private static func shellOutputDirectory(environment: [String: String]) -> URL {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return StateDirectory.url(environment: environment)
            .appendingPathComponent("shells")
            .appendingPathComponent("\(formatter.string(from: Date()))-\(getpid())")
    }

    static func resolveWorkspace(_ path: String?) throws -> URL {
        let raw = path ?? FileManager.default.currentDirectoryPath
        let url = URL(fileURLWithPath: raw).standardizedFileURL.resolvingSymlinksInPath()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SetupError(description: "workspace \(raw) is not a directory.")
        }
        return url
    }

    private static func chooseClock(_ choice: ClockChoice?, environment: [String: String]) throws -> any Clock<Duration> {
        var resolved = choice
        if resolved == nil, let text = environment["MUSTER_CLOCK"], !text.isEmpty {
            guard let parsed = ClockChoice(rawValue: text) else {
                throw SetupError(description: "MUSTER_CLOCK=\(text) is not one of: continuous, immediate.")
            }
            resolved = parsed
        }
        switch resolved ?? .continuous {
        case .continuous: return ContinuousClock()
        case .immediate: return ImmediateClock()
        }
    }

    private static func makeModel(
        command: Muster, environment: [String: String], clock: any Clock<Duration>, toolNames: Set<String>, workspace: URL
    ) throws -> (any LanguageModel, @Sendable () async -> Void) {
        let fromEnvironment = environment[OpenAIConfiguration.EnvironmentKey.provider].flatMap { $0.isEmpty ? nil : $0 }
        let provider = command.modelProvider ?? fromEnvironment ?? "scripted"
        switch provider {
        case OpenAIConfiguration.providerName:
            let configuration: OpenAIConfiguration
            do {
                configuration = try OpenAIConfiguration.resolve(
                    baseURL: command.baseURL, apiKey: command.apiKey, model: command.model, environment: environment
                )
            } catch {
                throw SetupError(description: "\(error)")
            }
            let model = OpenAIModel(configuration: configuration)
            return (model, { await model.shutdown() })
        case "scripted":
            let url: URL
            if let script = command.script {
                url = URL(fileURLWithPath: script)
            } else {
                do {
                    url = try ScriptLocator.defaultScript()
                } catch {
                    throw SetupError(description: "\(error)")
                }
            }
            do {
                let script = try ScriptLoader.load(from: url, knownTools: toolNames)
                return (ScriptedModel(script: script, clock: clock, workspace: workspace), {})
            } catch {
                throw SetupError(description: "\(error)")
            }
        default:
            throw SetupError(description: "unknown model provider \"\(provider)\"; expected scripted or openai.")
        }
    }
}

extension Muster {
    /// Puts a resumed session into `setup`'s fresh session (before it starts, so every task keeps
    /// its id), resumes the restored agents with `--resume-background`, and returns the notices.
    func restore(_ loaded: SessionResume.Loaded, into session: Session) async -> [String] {
        let resumed = await ResumedSession.apply(loaded, to: session)
        var running = Set<TaskID>()
        var refusal: String?
        if resumeBackground {
            let outcome = await session.registry.resumeAll()
            running = Set(outcome.resumed)
            refusal = outcome.refusal.map(\.description)
        }
        return ResumeText.notices(for: resumed, running: running) + (refusal.map { [$0] } ?? [])
    }
}
