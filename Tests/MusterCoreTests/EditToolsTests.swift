import Foundation
import Testing
@testable import MusterCore

#if canImport(Glibc)
import Glibc
#endif

@Suite("write_file and edit_file")
struct EditToolsTests {
    let fixture: WorkspaceFixture
    let outside: WorkspaceFixture
    var outsideName: String { outside.root.lastPathComponent }

    init() throws {
        fixture = try WorkspaceFixture()
        outside = try WorkspaceFixture()
        try fixture.write("README.md", "one\ntwo\nthree\n")
        try outside.write("secret.txt", "SECRET\n")
    }

    private func text(_ relative: String, in root: URL? = nil) -> String? {
        try? String(contentsOf: (root ?? fixture.root).appendingPathComponent(relative), encoding: .utf8)
    }

    private func write(_ path: String, _ content: String, method: BeneathResolver.Method = .automatic) async throws -> ToolOutput {
        try await WriteFileTool(resolution: method).call(["path": .string(path), "content": .string(content)], in: ToolCallHarness(workspace: fixture.root))
    }

    private func edit(_ path: String, _ old: String, _ new: String, all: Bool? = nil, method: BeneathResolver.Method = .automatic) async throws -> ToolOutput {
        var arguments: [String: JSONValue] = ["path": .string(path), "old": .string(old), "new": .string(new)]
        if let all { arguments["replace_all"] = .bool(all) }
        return try await EditFileTool(resolution: method).call(.object(arguments), in: ToolCallHarness(workspace: fixture.root))
    }

    /// Names in the workspace's top folder, to see that no temporary file was left behind.
    private func topNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: fixture.root.path).sorted()
    }

    @Test("write_file creates a file and says how many lines it added")
    func creates() async throws {
        let output = try await write("notes.txt", "a\nb\n")
        #expect(output == ToolOutput("created notes.txt (+2 −0)"))
        #expect(text("notes.txt") == "a\nb\n")
        #expect(try topNames() == ["README.md", "notes.txt"])
    }

    @Test("write_file replaces by rename: a hard link to the old file keeps the old content; the mode is kept", arguments: BeneathResolver.Method.allCases)
    func atomicReplace(method: BeneathResolver.Method) async throws {
        let path = fixture.root.appendingPathComponent("README.md").path
        #expect(chmod(path, 0o751) == 0)
        #expect(link(path, fixture.root.appendingPathComponent("old-link").path) == 0)
        let output = try await write("README.md", "one\n2\nthree\nfour\n", method: method)
        #expect(output == ToolOutput("edited README.md (+2 −1)"))
        #expect(text("README.md") == "one\n2\nthree\nfour\n")
        #expect(text("old-link") == "one\ntwo\nthree\n")
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o7777 == 0o751)
        #expect(try topNames() == ["README.md", "old-link"])
    }

    @Test("The owner is kept where permitted (root here), and set-id bits with it")
    func ownerKept() async throws {
        let path = fixture.root.appendingPathComponent("README.md").path
        guard geteuid() == 0 else { return }
        #expect(chown(path, 1234, 4321) == 0)
        #expect(chmod(path, 0o2755) == 0)
        #expect(try await edit("README.md", "two", "2") == ToolOutput("edited README.md (+1 −1)"))
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_uid == 1234 && info.st_gid == 4321)
        #expect(info.st_mode & 0o7777 == 0o2755)
    }

    @Test("edit_file replaces a unique string, and refuses a missing or repeated one without touching the file")
    func editSemantics() async throws {
        #expect(try await edit("README.md", "two\n", "2\n") == ToolOutput("edited README.md (+1 −1)"))
        #expect(text("README.md") == "one\n2\nthree\n")

        let missing = try await edit("README.md", "zwei", "2")
        #expect(missing.isError && missing.content.contains("old was not found"))
        try fixture.write("rep.txt", "x x x\n")
        let repeated = try await edit("rep.txt", "x", "y")
        #expect(repeated == .error("old appears 3 times in \"rep.txt\"; nothing was changed. Include more surrounding text to make it unique, or set replace_all."))
        #expect(text("rep.txt") == "x x x\n")
        #expect(try await edit("rep.txt", "x", "yy", all: true) == ToolOutput("edited rep.txt (+1 −1)"))
        #expect(text("rep.txt") == "yy yy yy\n")
        // Occurrences do not overlap: "aa" in "aaa" is one, from the left.
        #expect(try EditFileTool.replace(Array("aa".utf8), with: Array("b".utf8), in: Array("aaa".utf8), all: true, argument: "x") == Array("ba".utf8))
        #expect(try await edit("README.md", "", "x").isError)
        #expect(try await edit("README.md", "one", "one").isError)
        #expect(try await edit("nothing.txt", "a", "b") == .error("File \"nothing.txt\" does not exist; create it with write_file."))
    }

    @Test("edit_file keeps bytes that are not UTF-8 elsewhere in the file")
    func binarySafe() async throws {
        try fixture.write("latin1.txt", bytes: [0x63, 0x61, 0x66, 0xE9, 0x0A, 0x6F, 0x6C, 0x64, 0x0A])
        #expect(try await edit("latin1.txt", "old", "new").isError == false)
        #expect(try Data(contentsOf: fixture.root.appendingPathComponent("latin1.txt")) == Data([0x63, 0x61, 0x66, 0xE9, 0x0A, 0x6E, 0x65, 0x77, 0x0A]))
    }

    @Test("Hostile paths are refused and nothing outside changes or appears", arguments: BeneathResolver.Method.allCases)
    func confinement(method: BeneathResolver.Method) async throws {
        try fixture.link("out", to: outside.root.path)
        try fixture.link("secret-link", to: outside.root.path + "/secret.txt")
        try fixture.link("dangling", to: outside.root.path + "/new.txt")
        try fixture.link("rel-out", to: "../\(outsideName)/secret.txt")
        try fixture.makeDirectory("dir")
        let hostile = [
            "out/secret.txt", "out/new.txt", "secret-link", "dangling", "rel-out",
            "../\(outsideName)/secret.txt", "../\(outsideName)/new.txt", outside.root.path + "/new.txt",
            "missing/../README.md", "missing/../secret-link", "dir", "dir/", "dir/..", ".", "README.md/x",
        ]
        for path in hostile {
            let written = try await write(path, "PWNED\n", method: method)
            #expect(written.isError, "write_file \(path) was not refused: \(written.content)")
            let edited = try await edit(path, "SECRET", "PWNED", method: method)
            #expect(edited.isError, "edit_file \(path) was not refused: \(edited.content)")
        }
        #expect(text("secret.txt", in: outside.root) == "SECRET\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside.root.path) == ["secret.txt"])
        #expect(text("README.md") == "one\ntwo\nthree\n")
        #expect(try topNames() == ["README.md", "dangling", "dir", "out", "rel-out", "secret-link"])
    }

    @Test("A link that stays inside is edited where it points, and stays a link", arguments: BeneathResolver.Method.allCases)
    func insideLink(method: BeneathResolver.Method) async throws {
        try fixture.write("docs/guide.md", "hello\n")
        try fixture.link("guide", to: "docs/guide.md")
        #expect(try await edit("guide", "hello", "bye", method: method) == ToolOutput("edited docs/guide.md (+1 −1)"))
        #expect(text("docs/guide.md") == "bye\n")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: fixture.root.appendingPathComponent("guide").path) == "docs/guide.md")
    }

    @Test("A new file needs its directory; a FIFO is refused without blocking")
    func newFileAndFIFO() async throws {
        #expect(try await write("no/such/file.txt", "x") == .error("Cannot write \"no/such/file.txt\": the directory \"no/such\" does not exist."))
        #expect(mkfifo(fixture.root.appendingPathComponent("pipe").path, 0o600) == 0)
        #expect(try await write("pipe", "x") == .error("\"pipe\" is not a regular file (a device, pipe or socket)."))
    }

    @Test("The unified diff has hunks with context, counts, and marks a missing final newline")
    func diff() {
        let old = (1...10).map { "line \($0)\n" }.joined()
        let new = old.replacingOccurrences(of: "line 5\n", with: "five\nFIVE\n")
        let diff = UnifiedDiff(old: old, new: new, path: "f.txt")
        #expect(diff.added == 2 && diff.removed == 1)
        #expect(diff.text == """
            --- a/f.txt
            +++ b/f.txt
            @@ -2,7 +2,8 @@
             line 2
             line 3
             line 4
            -line 5
            +five
            +FIVE
             line 6
             line 7
             line 8

            """)
        let tail = UnifiedDiff(old: "a\nb", new: "a\nb\n", path: "g")
        #expect(tail.text == "--- a/g\n+++ b/g\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n")
        #expect(UnifiedDiff(old: "", new: "x\n", path: "n").text == "--- a/n\n+++ b/n\n@@ -0,0 +1 @@\n+x\n")
        #expect(UnifiedDiff(old: "same\n", new: "same\n", path: "s").text.isEmpty)
    }
}
