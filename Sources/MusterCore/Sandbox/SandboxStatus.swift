/// The sandbox in force, as `/sandbox` shows it and the session log records it
/// (`session_start`'s `sandbox`).
public struct SandboxStatus: Sendable, Equatable, Codable {
    public var mode: SandboxMode
    /// False when TCP connect and bind are denied.
    public var network: Bool
    /// The kernel's Landlock ABI; nil when it has none.
    public var landlockABI: Int?
    /// The per-session scratch directory commands may always write to (nil when off).
    public var scratch: String?
    /// Why the mode or the network setting is not what was asked for, when it is not.
    public var note: String?

    public init(mode: SandboxMode, network: Bool, landlockABI: Int?, scratch: String? = nil, note: String? = nil) {
        self.mode = mode
        self.network = network
        self.landlockABI = landlockABI
        self.scratch = scratch
        self.note = note
    }

    enum CodingKeys: String, CodingKey {
        case mode, network, landlockABI = "landlock_abi", scratch, note
    }

    /// One line: `workspace-write (Landlock ABI 7), network off`.
    public var summary: String {
        let kernel = landlockABI.map { "Landlock ABI \($0)" } ?? "no Landlock"
        return "\(mode.rawValue) (\(kernel)), network \(network ? "on" : "off")"
    }

    /// What the mode confines, in a sentence.
    public var confines: String {
        switch mode {
        case .workspaceWrite:
            "shell commands read anywhere but write, create, delete and rename only under the workspace, the system temporary directory and the session's scratch directory\(scratch.map { " (\($0))" } ?? "")"
        case .readOnly:
            "shell commands read anywhere but write only under the session's scratch directory\(scratch.map { " (\($0))" } ?? "")"
        case .off:
            "shell commands can write wherever you can"
        }
    }
}
