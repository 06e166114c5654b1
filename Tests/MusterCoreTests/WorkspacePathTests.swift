import Foundation
import Testing
@testable import MusterCore

@Suite("Workspace path confinement")
struct WorkspacePathTests {
    let fixture: WorkspaceFixture
    /// A directory beside the workspace, outside it.
    let outside: WorkspaceFixture

    init() throws {
        fixture = try WorkspaceFixture()
        outside = try WorkspaceFixture()
        try fixture.write("src/main.swift", "print(1)\n")
        try outside.write("secret.txt", "secret\n")
    }

    @Test("A relative path resolves inside the workspace")
    func relativePathResolves() throws {
        let path = try WorkspacePath.resolve("src/main.swift", in: fixture.root)
        #expect(path.absolute == fixture.realRoot + "/src/main.swift")
        #expect(path.relative == "src/main.swift")
    }

    @Test("An empty path and \".\" both mean the workspace root")
    func rootSpellings() throws {
        #expect(try WorkspacePath.resolve("", in: fixture.root).relative == ".")
        #expect(try WorkspacePath.resolve(".", in: fixture.root).absolute == fixture.realRoot)
        #expect(try WorkspacePath.resolve("src/..", in: fixture.root).relative == ".")
    }

    @Test("A path that climbs out with .. is refused with a clear message")
    func dotDotIsRefused() {
        #expect(throws: ToolError("Path \"../etc/passwd\" is outside the workspace \(fixture.root.path).")) {
            try WorkspacePath.resolve("../etc/passwd", in: fixture.root)
        }
        #expect(throws: ToolError.self) { try WorkspacePath.resolve("src/../../x", in: fixture.root) }
        #expect(throws: ToolError.self) { try WorkspacePath.resolve("new/../../x", in: fixture.root) }
    }

    @Test("An absolute path outside the workspace is refused, one inside is accepted")
    func absolutePaths() throws {
        #expect(throws: ToolError("Path \"/etc/passwd\" is outside the workspace \(fixture.root.path).")) {
            try WorkspacePath.resolve("/etc/passwd", in: fixture.root)
        }
        let inside = try WorkspacePath.resolve(fixture.root.path + "/src", in: fixture.root)
        #expect(inside.relative == "src")
    }

    @Test("A sibling directory sharing the workspace's name as a prefix is outside")
    func prefixSiblingIsOutside() throws {
        let sibling = fixture.root.path + "-other"
        try FileManager.default.createDirectory(atPath: sibling, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: sibling) }
        #expect(throws: ToolError.self) { try WorkspacePath.resolve(sibling, in: fixture.root) }
    }

    @Test("A symbolic link that leads out of the workspace is refused, and so is any path through it")
    func symlinkOutIsRefused() throws {
        try fixture.link("escape", to: outside.root.path)
        try fixture.link("secret-link", to: outside.root.path + "/secret.txt")
        #expect(throws: ToolError("Path \"escape\" is outside the workspace \(fixture.root.path).")) {
            try WorkspacePath.resolve("escape", in: fixture.root)
        }
        #expect(throws: ToolError.self) { try WorkspacePath.resolve("escape/secret.txt", in: fixture.root) }
        #expect(throws: ToolError.self) { try WorkspacePath.resolve("secret-link", in: fixture.root) }
        // Not existing yet, but its nearest existing ancestor is outside.
        #expect(throws: ToolError.self) { try WorkspacePath.resolve("escape/new/file.txt", in: fixture.root) }
    }

    @Test("A symbolic link that stays inside the workspace is accepted and resolved")
    func symlinkInsideIsAccepted() throws {
        try fixture.link("code", to: "src")
        let path = try WorkspacePath.resolve("code/main.swift", in: fixture.root)
        #expect(path.relative == "src/main.swift")
    }

    @Test("A path that does not exist is reported as missing, however it is spelled")
    func nonExistentPath() throws {
        #expect(throws: ToolError("Path \"src/new/deeper/file.txt\" does not exist.")) {
            try WorkspacePath.resolve("src/new/deeper/file.txt", in: fixture.root)
        }
        #expect(throws: ToolError("Path \"new/./a/../b.txt\" does not exist.")) {
            try WorkspacePath.resolve("new/./a/../b.txt", in: fixture.root)
        }
    }

    @Test("A broken symbolic link is reported as such; one pointing outside is outside")
    func brokenSymlink() throws {
        try fixture.link("dangling", to: "nonexistent-muster-target")
        try fixture.link("dangling-out", to: "/nonexistent-muster-target")
        #expect(throws: ToolError("Path \"dangling/x\" goes through a broken symbolic link.")) {
            try WorkspacePath.resolve("dangling/x", in: fixture.root)
        }
        #expect(throws: ToolError("Path \"dangling-out\" is outside the workspace \(fixture.root.path).")) {
            try WorkspacePath.resolve("dangling-out", in: fixture.root)
        }
    }

    @Test("A workspace reached through a symbolic link still confines paths")
    func workspaceBehindSymlink() throws {
        let alias = outside.root.appendingPathComponent("alias")
        try FileManager.default.createSymbolicLink(atPath: alias.path, withDestinationPath: fixture.root.path)
        #expect(try WorkspacePath.resolve("src/main.swift", in: alias).relative == "src/main.swift")
        #expect(try WorkspacePath.resolve(alias.path + "/src", in: alias).relative == "src")
        #expect(throws: ToolError.self) { try WorkspacePath.resolve("../secret.txt", in: alias) }
    }

    @Test("A path with a NUL character and a missing workspace get clear errors")
    func badInput() {
        #expect(throws: ToolError("Path \"a\\0b\" contains a NUL character.")) {
            try WorkspacePath.resolve("a\0b", in: fixture.root)
        }
        let missing = fixture.root.appendingPathComponent("no-such-workspace")
        #expect(throws: ToolError("The workspace \(missing.path) does not exist or cannot be read.")) {
            try WorkspacePath.resolve(".", in: missing)
        }
    }
}
