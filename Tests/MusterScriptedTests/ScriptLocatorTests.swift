import Foundation
import Testing
import MusterCore
@testable import MusterScripted

/// A temporary folder removed when the test ends.
final class ScriptTestFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("muster-script-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Writes a file (and its folders) under the folder.
    @discardableResult
    func write(_ relativePath: String, _ text: String = "{}") throws -> URL {
        let file = url.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
        return file
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

@Suite("Script locator: finds demo.json however Muster is started, or says where it looked")
struct ScriptLocatorTests {
    @Test("this process finds the bundled demo, and it loads with the built-in tools")
    func findsBundledDemo() throws {
        let url = try ScriptLocator.defaultScript()
        #expect(url.lastPathComponent == "demo.json")
        let script = try ScriptLoader.load(from: url, knownTools: ScriptLoader.builtInToolNames)
        #expect(script.agents["main"] != nil)
    }

    @Test("the resource bundle beside the executable comes before the source checkout")
    func prefersBundle() throws {
        let places = ScriptLocator(environment: [:]).places
        let roles = places.map(\.role)
        let bundle = try #require(roles.firstIndex(of: "resource bundle beside the executable"))
        let source = try #require(roles.firstIndex(of: "source checkout Muster was built from"))
        #expect(bundle < source)
        #expect(try ScriptLocator(environment: [:]).locate("demo.json").path.contains("Muster_MusterScripted"))
    }

    @Test("MUSTER_SCRIPTS_DIR is searched first")
    func environmentFirst() throws {
        let folder = try ScriptTestFolder()
        let demo = try folder.write("scripts/demo.json")
        let locator = ScriptLocator(environment: ["MUSTER_SCRIPTS_DIR": folder.url.appendingPathComponent("scripts").path])
        #expect(try locator.locate("demo.json").standardizedFileURL == demo.standardizedFileURL)
    }

    @Test("an installed copy finds share/muster/scripts beside its bin folder, also through a symlink")
    func installedCopy() throws {
        let folder = try ScriptTestFolder()
        let executable = try folder.write("prefix/bin/muster", "#!/bin/sh\n")
        let demo = try folder.write("prefix/share/muster/scripts/demo.json")
        let direct = ScriptLocator(environment: [:], executableURL: executable, bundleDirectory: nil, sourceScriptsDirectory: nil)
        #expect(try direct.locate("demo.json").standardizedFileURL == demo.standardizedFileURL)

        let link = folder.url.appendingPathComponent("elsewhere/bin/muster")
        try FileManager.default.createDirectory(at: link.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: executable)
        let linked = ScriptLocator(environment: [:], executableURL: link, bundleDirectory: nil, sourceScriptsDirectory: nil)
        #expect(try linked.locate("demo.json").resolvingSymlinksInPath() == demo.resolvingSymlinksInPath())
    }

    @Test("a folder named demo.json is not the script")
    func ignoresFolders() throws {
        let folder = try ScriptTestFolder()
        try FileManager.default.createDirectory(at: folder.url.appendingPathComponent("demo.json"), withIntermediateDirectories: true)
        let locator = ScriptLocator(environment: ["MUSTER_SCRIPTS_DIR": folder.url.path], executableURL: nil,
                                    bundleDirectory: nil, sourceScriptsDirectory: nil)
        #expect(throws: ScriptLocator.NotFoundError.self) { try locator.locate("demo.json") }
    }

    @Test("when no place holds the script, the error lists every place searched")
    func listsEveryPlace() throws {
        let locator = ScriptLocator(
            environment: ["MUSTER_SCRIPTS_DIR": "/nowhere/scripts"],
            executableURL: URL(fileURLWithPath: "/opt/muster/bin/muster"),
            bundleDirectory: URL(fileURLWithPath: "/opt/muster/bin"),
            sourceScriptsDirectory: URL(fileURLWithPath: "/src/muster/Resources/scripts")
        )
        #if canImport(Darwin)
        let bundle = "Muster_MusterScripted.bundle"
        #else
        let bundle = "Muster_MusterScripted.resources"
        #endif
        do {
            _ = try locator.locate("demo.json")
            Issue.record("found a script that does not exist")
        } catch {
            #expect(error.fileName == "demo.json")
            #expect(error.description == """
                Cannot find the script demo.json. Looked in:
                  - /nowhere/scripts (MUSTER_SCRIPTS_DIR)
                  - /opt/muster/bin/\(bundle)/scripts (resource bundle beside the executable)
                  - /opt/muster/share/muster/scripts (installed copy)
                  - /src/muster/Resources/scripts (source checkout Muster was built from)
                Set MUSTER_SCRIPTS_DIR to a folder that holds demo.json, or give a script file explicitly.
                """)
        }
    }

    @Test("the error says when MUSTER_SCRIPTS_DIR is not set")
    func mentionsUnsetVariable() {
        let locator = ScriptLocator(environment: ["MUSTER_SCRIPTS_DIR": ""], executableURL: nil, bundleDirectory: nil, sourceScriptsDirectory: nil)
        do {
            _ = try locator.locate("demo.json")
            Issue.record("found a script that does not exist")
        } catch {
            #expect(error.searched == [ScriptLocator.Place(directory: nil, role: "MUSTER_SCRIPTS_DIR is not set")])
            #expect(error.description.contains("  - MUSTER_SCRIPTS_DIR is not set\n"))
        }
    }
}
