import Foundation
import Testing
@testable import MusterCore

#if canImport(Glibc)
import Glibc
#endif

/// The three file tools, each resolving paths the given way.
private func fileTools(_ method: BeneathResolver.Method) -> [any Tool] {
    [ReadFileTool(resolution: method), ListFilesTool(resolution: method), GrepTool(resolution: method)]
}

/// The arguments that make `tool` open `path`.
private func arguments(for tool: any Tool, path: String) -> JSONValue {
    tool.name == "grep" ? ["pattern": "[S]ECRET|INSIDE", "path": .string(path)] : ["path": .string(path)]
}

@Suite("Workspace confinement of the file tools")
struct WorkspaceConfinementTests {
    let fixture: WorkspaceFixture
    /// A directory beside the workspace holding a secret.
    let outside: WorkspaceFixture
    /// The outside directory's name, as seen from the workspace's parent.
    var outsideName: String { outside.root.lastPathComponent }

    init() throws {
        fixture = try WorkspaceFixture()
        outside = try WorkspaceFixture()
        try fixture.write("src/main.swift", "INSIDE main\n")
        try outside.write("secret.txt", "SECRET outside\n")
        try outside.write("sub/secret.txt", "SECRET deeper\n")
    }

    /// Runs every file tool on `path` and expects each to refuse it without showing the secret.
    private func expectRefused(_ path: String, method: BeneathResolver.Method, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        for tool in fileTools(method) {
            let output = try await tool.call(arguments(for: tool, path: path), in: ToolCallHarness(workspace: fixture.root))
            #expect(output.isError, "\(tool.name) \(path) was not refused: \(output.content)", sourceLocation: sourceLocation)
            #expect(!output.content.contains("SECRET"), "\(tool.name) \(path) leaked: \(output.content)", sourceLocation: sourceLocation)
        }
    }

    @Test("The kernel here confines with openat2, so the automatic resolution really uses it")
    func kernelHasOpenat2() {
        #expect(BeneathResolver.kernelConfinesBeneath())
    }

    @Test("A path climbing out with .. is refused by every tool", arguments: BeneathResolver.Method.allCases)
    func dotDot(method: BeneathResolver.Method) async throws {
        try await expectRefused("../\(outsideName)/secret.txt", method: method)
        try await expectRefused("src/../../\(outsideName)", method: method)
        let output = try await ReadFileTool(resolution: method).call(["path": .string("src/../../\(outsideName)/secret.txt")], in: ToolCallHarness(workspace: fixture.root))
        #expect(output == .error("Path \"src/../../\(outsideName)/secret.txt\" is outside the workspace \(fixture.root.path)."))
    }

    @Test("An absolute path outside is refused by every tool", arguments: BeneathResolver.Method.allCases)
    func absolute(method: BeneathResolver.Method) async throws {
        try await expectRefused(outside.root.path + "/secret.txt", method: method)
        try await expectRefused(outside.root.path, method: method)
        try await expectRefused(fixture.root.path + "/../\(outsideName)/secret.txt", method: method)
    }

    @Test("A symbolic link from inside to outside is refused, and so is any path through it", arguments: BeneathResolver.Method.allCases)
    func symlinkInToOut(method: BeneathResolver.Method) async throws {
        try fixture.link("out", to: outside.root.path)
        try fixture.link("secret-link", to: outside.root.path + "/secret.txt")
        try await expectRefused("out", method: method)
        try await expectRefused("out/secret.txt", method: method)
        try await expectRefused("secret-link", method: method)
    }

    @Test("A chain of relative symbolic links that ends outside is refused", arguments: BeneathResolver.Method.allCases)
    func relativeChains(method: BeneathResolver.Method) async throws {
        try fixture.makeDirectory("deep/er")
        try fixture.link("a", to: "b")
        try fixture.link("b", to: "deep/er/c")
        try fixture.link("deep/er/c", to: "../../../\(outsideName)/secret.txt")
        try fixture.link("loop1", to: "loop2")
        try fixture.link("loop2", to: "loop1")
        try await expectRefused("a", method: method)
        try await expectRefused("deep/er/c", method: method)
        let loop = try await ReadFileTool(resolution: method).call(["path": "loop1"], in: ToolCallHarness(workspace: fixture.root))
        #expect(loop == .error("Path \"loop1\" goes through too many symbolic links."))
    }

    @Test("A missing directory followed by .. cannot reach a link that leads out", arguments: BeneathResolver.Method.allCases)
    func missingDirectoryThenDotDot(method: BeneathResolver.Method) async throws {
        try fixture.link("link", to: outside.root.path + "/secret.txt")
        try fixture.link("dirlink", to: outside.root.path)
        try fixture.link("proc", to: "/proc/self/status")
        try await expectRefused("nonexist/../link", method: method)
        try await expectRefused("nonexist/../dirlink", method: method)
        try await expectRefused("nonexist/../proc", method: method)
        try await expectRefused("nonexist/../../\(outsideName)/secret.txt", method: method)
        let output = try await ReadFileTool(resolution: method).call(["path": "nonexist/../link"], in: ToolCallHarness(workspace: fixture.root))
        #expect(output == .error("File \"nonexist/../link\" does not exist."))
    }

    @Test("/proc/self links, as arguments or as link targets, are refused", arguments: BeneathResolver.Method.allCases)
    func procSelfLinks(method: BeneathResolver.Method) async throws {
        try fixture.link("me", to: "/proc/self/root")
        try fixture.link("cwd", to: "/proc/self/cwd")
        try fixture.link("fd", to: "/proc/self/fd")
        for path in ["me/etc/passwd", "cwd", "fd/0", "/proc/self/status", "/proc/self/root/etc/passwd"] {
            for tool in fileTools(method) {
                let output = try await tool.call(arguments(for: tool, path: path), in: ToolCallHarness(workspace: fixture.root))
                #expect(output.isError, "\(tool.name) \(path): \(output.content)")
                #expect(!output.content.contains("root:"), "\(tool.name) \(path) leaked: \(output.content)")
            }
        }
    }

    @Test("A symbolic link to the workspace's parent is refused", arguments: BeneathResolver.Method.allCases)
    func linkToParent(method: BeneathResolver.Method) async throws {
        try fixture.link("parent", to: "..")
        try fixture.link("parent-absolute", to: fixture.root.deletingLastPathComponent().path)
        try await expectRefused("parent", method: method)
        try await expectRefused("parent/\(outsideName)/secret.txt", method: method)
        try await expectRefused("parent-absolute/\(outsideName)/secret.txt", method: method)
        try await expectRefused("src/../parent/\(outsideName)", method: method)
    }

    @Test("Symbolic links that stay inside keep working, relative or absolute", arguments: BeneathResolver.Method.allCases)
    func insideLinksWork(method: BeneathResolver.Method) async throws {
        try fixture.link("code", to: "src")
        try fixture.link("absolute-code", to: fixture.realRoot + "/src")
        try fixture.link("first", to: "second")
        try fixture.link("second", to: "src/../src/main.swift")
        try fixture.link("src/up", to: "..")
        let harness = ToolCallHarness(workspace: fixture.root)
        let read = ReadFileTool(resolution: method)
        for path in ["code/main.swift", "absolute-code/main.swift", "first", "src/up/src/main.swift"] {
            #expect(try await read.call(["path": .string(path)], in: harness) == ToolOutput("     1\tINSIDE main"), "\(path)")
        }
        #expect(try await GrepTool(resolution: method).call(["pattern": "INSIDE", "path": "code"], in: harness)
            == ToolOutput("src/main.swift:1: INSIDE main"))
        #expect(try await ListFilesTool(resolution: method).call(["path": "absolute-code"], in: harness)
            == ToolOutput("src/main.swift\nsrc/up -> .."))
        #expect(try WorkspacePath.resolve("first", in: fixture.root, method: method).relative == "src/main.swift")
    }

    @Test("A FIFO never blocks a tool: named, behind a link, or met during a walk", arguments: BeneathResolver.Method.allCases)
    func fifoNeverBlocks(method: BeneathResolver.Method) async throws {
        try fixture.makeDirectory("pipes")
        #expect(mkfifo(fixture.root.appendingPathComponent("pipes/fifo").path, 0o644) == 0)
        try fixture.link("fifo-link", to: "pipes/fifo")
        let harness = ToolCallHarness(workspace: fixture.root)
        #expect(try await ReadFileTool(resolution: method).call(["path": "pipes/fifo"], in: harness)
            == .error("\"pipes/fifo\" is not a regular file (a device, pipe or socket)."))
        #expect(try await ReadFileTool(resolution: method).call(["path": "fifo-link"], in: harness)
            == .error("\"fifo-link\" is not a regular file (a device, pipe or socket)."))
        #expect(try await GrepTool(resolution: method).call(["pattern": "x", "path": "pipes/fifo"], in: harness)
            == .error("\"pipes/fifo\" is not a regular file or directory."))
        #expect(try await GrepTool(resolution: method).call(["pattern": "INSIDE"], in: harness).content.hasPrefix("src/main.swift:1: INSIDE main"))
        #expect(try await ListFilesTool(resolution: method).call(["path": "pipes"], in: harness) == ToolOutput("pipes/fifo"))
    }

    @Test("A device file is refused as not a regular file", .enabled(if: getuid() == 0, "mknod needs root"),
          arguments: BeneathResolver.Method.allCases)
    func deviceFile(method: BeneathResolver.Method) async throws {
        // The same device as /dev/zero: read without the check it would never end.
        let zero = dev_t((1 << 8) | 5) // makedev(1, 5); the macro is not imported into Swift
        #expect(mknod(fixture.root.appendingPathComponent("zero").path, S_IFCHR | 0o644, zero) == 0)
        let harness = ToolCallHarness(workspace: fixture.root)
        #expect(try await ReadFileTool(resolution: method).call(["path": "zero"], in: harness)
            == .error("\"zero\" is not a regular file (a device, pipe or socket)."))
        #expect(try await GrepTool(resolution: method).call(["pattern": "x", "path": "zero"], in: harness)
            == .error("\"zero\" is not a regular file or directory."))
        #expect(try await GrepTool(resolution: method).call(["pattern": "INSIDE"], in: harness)
            == ToolOutput("src/main.swift:1: INSIDE main"))
    }
}
