import Foundation

/// Chooses the session's sandbox from `--sandbox`, `MUSTER_SANDBOX`, `--sandbox-network` and
/// what the kernel offers.
public enum SandboxSettings {
    public static let environmentVariable = "MUSTER_SANDBOX"

    /// Why a sandbox that was asked for explicitly cannot be had (Muster does not start then:
    /// it would run commands unconfined that the person meant to confine).
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// The flag wins over the environment; without either, `workspace-write` where the kernel
    /// supports Landlock, else `off` with a warning that says why. An invalid `MUSTER_SANDBOX`
    /// warns and uses the default. `denyNetwork` (`--sandbox-network off`) needs ABI 4; below it
    /// the network stays on with a warning.
    public static func resolve(
        flag: SandboxMode?, denyNetwork: Bool, environment: [String: String], workspace: URL,
        landlock: Result<Int, LandlockUnavailable> = Landlock.abi(), helper: URL? = Landlock.helper(),
        temporaryDirectory: URL = FileManager.default.temporaryDirectory
    ) throws -> (sandbox: Sandbox, warnings: [String]) {
        var warnings: [String] = []
        var requested = flag
        var origin = "--sandbox"
        // An empty value is no value (`MUSTER_SANDBOX= muster` clears an exported one).
        if requested == nil, let text = environment[environmentVariable], !text.isEmpty {
            origin = environmentVariable
            if let mode = SandboxMode(rawValue: text.trimmingCharacters(in: .whitespaces).lowercased()) {
                requested = mode
            } else {
                let shown = String(reflecting: text).filter { !$0.isASCII || $0.isPrintable }
                warnings.append("Ignoring \(environmentVariable)=\(shown): expected one of workspace-write, read-only, off; using the default.")
            }
        }
        let kernelABI = try? landlock.get()
        if requested == .off {
            if denyNetwork { warnings.append("--sandbox-network off has no effect with the sandbox off: commands can use the network.") }
            return (.off(landlockABI: kernelABI, note: nil), warnings)
        }
        let explicit = requested != nil
        let mode = requested ?? .workspaceWrite
        let reason: String?
        switch (landlock, helper) {
        case (.failure(let why), _): reason = why.description
        case (.success, nil): reason = "its helper \(Landlock.helperName) is not beside the muster executable (build or install it with muster)"
        case (.success, .some): reason = nil
        }
        guard case .success(let abi) = landlock, let helper, reason == nil else {
            let why = reason ?? "Landlock is unavailable"
            if explicit { throw Refusal(description: "\(origin) \(mode.rawValue) cannot be applied: \(why). Use --sandbox off to run shell commands unconfined.") }
            warnings.append("Sandbox off: \(why); shell commands can write wherever you can.")
            return (.off(landlockABI: kernelABI, note: why), warnings)
        }
        var note: String?
        var deny = denyNetwork
        if denyNetwork, abi < Landlock.networkABI {
            deny = false
            note = "the network cannot be denied: this kernel's Landlock ABI is \(abi), TCP rules need \(Landlock.networkABI)"
            warnings.append("--sandbox-network off: \(note!); commands can use the network.")
        }
        let sandbox = try Sandbox.confining(
            mode, workspace: workspace, denyNetwork: deny, landlockABI: abi, helper: helper,
            temporaryDirectory: temporaryDirectory, note: note
        )
        return (sandbox, warnings)
    }
}
