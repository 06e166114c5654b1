import Foundation
import MusterTestSupport
import Testing
@testable import MusterCore

/// Choosing the sandbox: flag, environment, what the kernel offers, and what a mode lets write.
@Suite("sandbox settings")
struct SandboxSettingsTests {
    let fixture: WorkspaceFixture
    let helper = URL(fileURLWithPath: "/opt/muster/muster-sandbox")

    init() throws {
        fixture = try WorkspaceFixture()
    }

    private func resolve(
        flag: SandboxMode? = nil, denyNetwork: Bool = false, environment: [String: String] = [:],
        landlock: Result<Int, LandlockUnavailable> = .success(7), helper: URL?? = .none
    ) throws -> (sandbox: Sandbox, warnings: [String]) {
        let temporary = fixture.root.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        return try SandboxSettings.resolve(
            flag: flag, denyNetwork: denyNetwork, environment: environment, workspace: fixture.root,
            landlock: landlock, helper: helper ?? self.helper, temporaryDirectory: temporary
        )
    }

    @Test("By default workspace-write where the kernel has Landlock: the workspace, the temp directory and a private scratch directory are writable")
    func defaultIsWorkspaceWrite() throws {
        let (sandbox, warnings) = try resolve()
        #expect(warnings.isEmpty)
        #expect(sandbox.mode == .workspaceWrite && sandbox.networkAllowed && sandbox.landlockABI == 7)
        let scratch = try #require(sandbox.scratch)
        #expect(sandbox.writable.map(\.path) == [fixture.root.standardizedFileURL.path, fixture.root.appendingPathComponent("tmp").path, scratch.path])
        let attributes = try FileManager.default.attributesOfItem(atPath: scratch.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
        let launch = sandbox.launch("make test")
        #expect(launch.executable == helper.path)
        #expect(Array(launch.arguments.suffix(4)) == ["--", "/bin/sh", "-c", "make test"])
        #expect(launch.arguments.contains("/dev/null") && !launch.arguments.contains("--deny-network"))
        #expect(sandbox.environment == ["MUSTER_SCRATCH": scratch.path])
        sandbox.removeScratch()
        #expect(!FileManager.default.fileExists(atPath: scratch.path))
    }

    @Test("read-only: only the scratch directory is writable, and TMPDIR points there")
    func readOnly() throws {
        let (sandbox, _) = try resolve(flag: .readOnly)
        let scratch = try #require(sandbox.scratch)
        #expect(sandbox.writable == [scratch])
        #expect(sandbox.environment["TMPDIR"] == scratch.path)
    }

    @Test("Without Landlock the default is off with a warning that says why; an explicit mode is refused")
    func noLandlock() throws {
        let missing = LandlockUnavailable("this kernel has no Landlock")
        let (sandbox, warnings) = try resolve(landlock: .failure(missing))
        #expect(sandbox.mode == .off && sandbox.landlockABI == nil && sandbox.status.note == "this kernel has no Landlock")
        #expect(sandbox.launch("true").executable == "/bin/sh")
        #expect(warnings == ["Sandbox off: this kernel has no Landlock; shell commands can write wherever you can."])
        #expect(throws: SandboxSettings.Refusal.self) { try resolve(flag: .workspaceWrite, landlock: .failure(missing)) }
        #expect(throws: SandboxSettings.Refusal.self) { try resolve(environment: ["MUSTER_SANDBOX": "read-only"], landlock: .failure(missing)) }
        let (withoutHelper, helperWarnings) = try resolve(helper: .some(nil))
        #expect(withoutHelper.mode == .off && withoutHelper.landlockABI == 7 && helperWarnings.first?.contains("muster-sandbox") == true)
    }

    @Test("The flag wins over MUSTER_SANDBOX; an invalid MUSTER_SANDBOX warns and keeps the default")
    func environment() throws {
        // Off by choice: /sandbox still names the kernel's ABI.
        #expect(try resolve(environment: ["MUSTER_SANDBOX": "off"]).sandbox == .off(landlockABI: 7, note: nil))
        #expect(try resolve(environment: ["MUSTER_SANDBOX": ""]) .warnings.isEmpty)
        #expect(try resolve(flag: .readOnly, environment: ["MUSTER_SANDBOX": "off"]).sandbox.mode == .readOnly)
        let (sandbox, warnings) = try resolve(environment: ["MUSTER_SANDBOX": "sometimes"])
        #expect(sandbox.mode == .workspaceWrite)
        #expect(warnings == [#"Ignoring MUSTER_SANDBOX="sometimes": expected one of workspace-write, read-only, off; using the default."#])
    }

    @Test("--sandbox-network off denies TCP from ABI 4; below it the network stays on and a warning says why")
    func network() throws {
        let denied = try resolve(denyNetwork: true).sandbox
        #expect(!denied.networkAllowed && denied.launch("true").arguments.contains("--deny-network"))
        let (old, warnings) = try resolve(denyNetwork: true, landlock: .success(3))
        #expect(old.networkAllowed && !old.launch("true").arguments.contains("--deny-network"))
        #expect(warnings.first?.contains("Landlock ABI is 3") == true && old.status.note != nil)
        #expect(try resolve(flag: .off, denyNetwork: true).warnings.first?.contains("no effect") == true)
    }

    @Test("A failed command whose output has a permission error gets the sandbox's note; a success, or no sandbox, does not")
    func denialNote() throws {
        let sandbox = try resolve().sandbox
        let note = try #require(sandbox.denialNote(output: "touch: cannot touch '../x': Permission denied", failed: true))
        #expect(note.contains("workspace-write") && note.contains("--sandbox off"))
        #expect(sandbox.denialNote(output: "Operation not permitted", failed: true) != nil)
        #expect(sandbox.denialNote(output: "Permission denied", failed: false) == nil)
        #expect(sandbox.denialNote(output: "no such file", failed: true) == nil)
        #expect(Sandbox.off.denialNote(output: "Permission denied", failed: true) == nil)
    }

    @Test("/sandbox answers with the status in force")
    func slashSandbox() async throws {
        let sandbox = try resolve().sandbox
        let shells = BackgroundShells(configuration: .init(outputDirectory: fixture.root.appendingPathComponent(".shells"), sandbox: sandbox))
        let processor = CommandProcessor(registry: TaskRegistry(), shells: shells)
        #expect(await processor.run("/sandbox") == .sandbox(sandbox.status))
        #expect(await processor.run("/sandbox now") == .usageError("Usage: /sandbox"))
    }
}
