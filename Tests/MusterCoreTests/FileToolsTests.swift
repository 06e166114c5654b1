import Foundation
import Testing
@testable import MusterCore

@Suite("list_files")
struct ListFilesToolTests {
    let fixture: WorkspaceFixture
    let tool = ListFilesTool()

    init() throws {
        fixture = try WorkspaceFixture()
        try fixture.write("README.md", "# Demo\n")
        try fixture.write("Sources/App/main.swift", "print(1)\n")
        try fixture.write("Sources/App/Deep/Deeper/leaf.swift", "leaf\n")
        try fixture.write("Sources/Lib/lib.swift", "lib\n")
        try fixture.write(".git/HEAD", "ref\n")
        try fixture.write(".build/debug/x.o", "o\n")
        try fixture.write(".build-tsan/y.o", "o\n")
        try fixture.write("web/node_modules/pkg/index.js", "js\n")
        try fixture.write(".buildrc-is-a-file", "kept\n")
    }

    @Test("Lists files and folders depth first, folders with a trailing slash, skipping .git, .build* and node_modules")
    func listsTree() async throws {
        let harness = ToolCallHarness(workspace: fixture.root)
        let output = try await tool.call([:], in: harness)
        #expect(!output.isError)
        #expect(output.content == """
            .buildrc-is-a-file
            README.md
            Sources/
            Sources/App/
            Sources/App/Deep/
            Sources/App/main.swift
            Sources/Lib/
            Sources/Lib/lib.swift
            web/
            [Not listed: .build/, .build-tsan/, .git/, web/node_modules/.]
            """)
    }

    @Test("max_depth 1 lists only the directory's own entries; a subdirectory lists relative to the workspace")
    func depthAndSubdirectory() async throws {
        let top = try await tool.call(["max_depth": 1], in: ToolCallHarness(workspace: fixture.root))
        #expect(top.content.hasPrefix(".buildrc-is-a-file\nREADME.md\nSources/\nweb/\n"))
        let sub = try await tool.call(["path": "Sources/App", "max_depth": 5], in: ToolCallHarness(workspace: fixture.root))
        #expect(sub.content == """
            Sources/App/Deep/
            Sources/App/Deep/Deeper/
            Sources/App/Deep/Deeper/leaf.swift
            Sources/App/main.swift
            """)
    }

    @Test("Stops at max_entries and says the listing was truncated")
    func truncates() async throws {
        let output = try await tool.call(["max_entries": 3], in: ToolCallHarness(workspace: fixture.root))
        let lines = output.content.split(separator: "\n")
        #expect(Array(lines.prefix(4)) == [
            ".buildrc-is-a-file", "README.md", "Sources/",
            "[Truncated after 3 entries: list a subdirectory, or lower max_depth.]",
        ])
        let exact = try await tool.call(["path": "Sources/Lib", "max_entries": 1], in: ToolCallHarness(workspace: fixture.root))
        #expect(exact.content == "Sources/Lib/lib.swift")
    }

    @Test("Reports one progress line per directory scanned, on the call's own stream")
    func progressPerDirectory() async throws {
        let harness = ToolCallHarness(workspace: fixture.root)
        let other = ToolCallHarness(workspace: fixture.root)
        _ = try await tool.call(["path": "Sources"], in: harness)
        #expect(await harness.reportedLines() == [
            "Scanned Sources/ (2 entries)",
            "Scanned Sources/App/ (2 entries)",
            "Scanned Sources/App/Deep/ (1 entry)",
            "Scanned Sources/Lib/ (1 entry)",
        ])
        #expect(await other.reportedLines().isEmpty)
    }

    @Test("Shows a symbolic link with its target and does not descend into it")
    func symlinkNotFollowed() async throws {
        let outside = try WorkspaceFixture()
        try outside.write("private/key", "k\n")
        try fixture.link("outside", to: outside.root.path)
        let output = try await tool.call(["max_depth": 1], in: ToolCallHarness(workspace: fixture.root))
        #expect(output.content.contains("outside -> \(outside.root.path)"))
        #expect(!output.content.contains("private"))
    }

    @Test("A missing path, a file, a path outside and bad limits get clear errors")
    func errors() async throws {
        let harness = ToolCallHarness(workspace: fixture.root)
        #expect(try await tool.call(["path": "nope"], in: harness) == .error("Directory \"nope\" does not exist."))
        #expect(try await tool.call(["path": "README.md"], in: harness)
            == .error("\"README.md\" is a file, not a directory; read it with read_file."))
        #expect(try await tool.call(["path": ".."], in: harness)
            == .error("Path \"..\" is outside the workspace \(fixture.root.path)."))
        #expect(try await tool.call(["max_depth": 0], in: harness)
            == .error("max_depth must be between 1 and 50, not 0."))
        #expect(try await tool.call(["max_entries": "ten"], in: harness)
            == .error("Invalid argument \"max_entries\": expected a whole number, found a string."))
    }

    @Test("An empty directory says so")
    func emptyDirectory() async throws {
        try fixture.makeDirectory("empty")
        let output = try await tool.call(["path": "empty"], in: ToolCallHarness(workspace: fixture.root))
        #expect(output == ToolOutput("(\"empty\" is empty)"))
    }
}

@Suite("read_file")
struct ReadFileToolTests {
    let fixture: WorkspaceFixture
    let tool = ReadFileTool()

    init() throws {
        fixture = try WorkspaceFixture()
        try fixture.write("ten.txt", (1...10).map { "line \($0)" }.joined(separator: "\n") + "\n")
    }

    @Test("Shows the file with right-aligned line numbers")
    func numbersLines() async throws {
        try fixture.write("crlf.txt", "alpha\r\nbeta")
        let output = try await tool.call(["path": "crlf.txt"], in: ToolCallHarness(workspace: fixture.root))
        #expect(output == ToolOutput("     1\talpha\n     2\tbeta"))
    }

    @Test("Reads a window from offset and says where to continue")
    func windowFromOffset() async throws {
        let output = try await tool.call(["path": "ten.txt", "offset": 4, "max_lines": 3], in: ToolCallHarness(workspace: fixture.root))
        #expect(output.content == """
                 4\tline 4
                 5\tline 5
                 6\tline 6
            [Showing lines 4–6; the file continues: read on with offset 7.]
            """)
        let tail = try await tool.call(["path": "ten.txt", "offset": 9], in: ToolCallHarness(workspace: fixture.root))
        #expect(tail.content == "     9\tline 9\n    10\tline 10")
    }

    @Test("An offset past the end and an empty file are reported plainly")
    func pastEndAndEmpty() async throws {
        try fixture.write("empty.txt", "")
        let harness = ToolCallHarness(workspace: fixture.root)
        #expect(try await tool.call(["path": "ten.txt", "offset": 11], in: harness)
            == .error("\"ten.txt\" has 10 lines; offset 11 is past the end."))
        #expect(try await tool.call(["path": "empty.txt"], in: harness) == ToolOutput("(\"empty.txt\" is empty)"))
    }

    @Test("Refuses a binary file")
    func refusesBinary() async throws {
        try fixture.write("image.png", bytes: [0x89, 0x50, 0x4E, 0x47, 0x00, 0x01, 0x0A, 0x41])
        let output = try await tool.call(["path": "image.png"], in: ToolCallHarness(workspace: fixture.root))
        #expect(output == .error("\"image.png\" looks like a binary file (it contains NUL bytes); read_file shows text only."))
    }

    @Test("A missing file, a directory and bad arguments get clear errors")
    func errors() async throws {
        try fixture.makeDirectory("dir")
        let harness = ToolCallHarness(workspace: fixture.root)
        #expect(try await tool.call(["path": "missing.txt"], in: harness) == .error("File \"missing.txt\" does not exist."))
        #expect(try await tool.call(["path": "dir"], in: harness) == .error("\"dir\" is a directory; list it with list_files."))
        #expect(try await tool.call([:], in: harness) == .error("Missing argument \"path\": expected a string."))
        #expect(try await tool.call(["path": "ten.txt", "offset": 0], in: harness)
            == .error("offset is a 1-based line number: it must be 1 or more, not 0."))
        #expect(try await tool.call(["path": "/etc/passwd"], in: harness)
            == .error("Path \"/etc/passwd\" is outside the workspace \(fixture.root.path)."))
    }

    @Test("Cuts a huge line and decodes invalid UTF-8 without failing")
    func hugeLineAndInvalidUTF8() async throws {
        try fixture.write("minified.js", String(repeating: "x", count: 100_000) + "\nend\n")
        try fixture.write("latin1.txt", bytes: [0x63, 0x61, 0x66, 0xE9, 0x0A])
        let harness = ToolCallHarness(workspace: fixture.root)
        let minified = try await tool.call(["path": "minified.js"], in: harness)
        let lines = minified.content.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0] == "     1\t" + String(repeating: "x", count: 2_000) + " … [line cut: 100000 bytes in all]")
        #expect(lines[1] == "     2\tend")
        let latin1 = try await tool.call(["path": "latin1.txt"], in: harness)
        #expect(latin1 == ToolOutput("     1\tcaf\u{FFFD}"))
    }
}

@Suite("grep")
struct GrepToolTests {
    let fixture: WorkspaceFixture
    let tool = GrepTool()

    init() throws {
        fixture = try WorkspaceFixture()
        try fixture.write("Sources/a.swift", "import Foundation\nlet TODO = 1\n// todo: lower\n")
        try fixture.write("Sources/b.swift", "struct B {}\n    // TODO: more\n")
        try fixture.write("README.md", "No markers here\n")
        try fixture.write("blob.bin", bytes: Array("TODO".utf8) + [0, 1, 2])
        try fixture.write("node_modules/dep/index.js", "// TODO dependency\n")
        try fixture.write(".git/config", "TODO git\n")
    }

    @Test("Finds matching lines as path:line: text, skipping binary files and skipped folders")
    func findsMatches() async throws {
        let output = try await tool.call(["pattern": "TODO"], in: ToolCallHarness(workspace: fixture.root))
        #expect(output.content == """
            Sources/a.swift:2: let TODO = 1
            Sources/b.swift:2: // TODO: more
            [Skipped 1 binary file.]
            """)
    }

    @Test("ignore_case matches letters regardless of case")
    func ignoreCase() async throws {
        let output = try await tool.call(["pattern": "todo:", "ignore_case": true, "path": "Sources"], in: ToolCallHarness(workspace: fixture.root))
        #expect(output.content == "Sources/a.swift:3: // todo: lower\nSources/b.swift:2: // TODO: more")
    }

    @Test("An invalid regular expression gets a clear error with the reason")
    func invalidRegex() async throws {
        let output = try await tool.call(["pattern": "(unclosed"], in: ToolCallHarness(workspace: fixture.root))
        #expect(output == .error("Invalid regular expression \"(unclosed\": expected ')'."))
    }

    @Test("Stops at max_results and says so")
    func maxResults() async throws {
        let output = try await tool.call(["pattern": "TODO", "max_results": 1], in: ToolCallHarness(workspace: fixture.root))
        #expect(output.content.hasPrefix("Sources/a.swift:2: let TODO = 1\n[Stopped at 1 matches"))
    }

    @Test("Searches a single named file; no match is reported with the count of files searched")
    func singleFileAndNoMatch() async throws {
        let harness = ToolCallHarness(workspace: fixture.root)
        #expect(try await tool.call(["pattern": "struct", "path": "Sources/b.swift"], in: harness)
            == ToolOutput("Sources/b.swift:1: struct B {}"))
        #expect(try await tool.call(["pattern": "zzz", "path": "Sources"], in: harness)
            == ToolOutput("No matches for /zzz/ in Sources (2 files searched)."))
        #expect(try await tool.call(["pattern": "TODO", "path": "blob.bin"], in: harness)
            == .error("\"blob.bin\" looks like a binary file (it contains NUL bytes)."))
        #expect(try await tool.call(["pattern": "x", "path": "gone"], in: harness)
            == .error("Path \"gone\" does not exist."))
    }

    @Test("Reports progress in batches of files on the call's own stream")
    func progress() async throws {
        for index in 0..<250 { try fixture.write("many/file\(index).txt", index == 0 ? "needle\n" : "hay\n") }
        let harness = ToolCallHarness(workspace: fixture.root)
        let output = try await tool.call(["pattern": "needle", "path": "many"], in: harness)
        #expect(output.content == "many/file0.txt:1: needle")
        #expect(await harness.reportedLines() == [
            "Searched 100 files, 1 match", "Searched 200 files, 1 match", "Searched 250 files, 1 match",
        ])
    }

    @Test("A missing or empty pattern and a path outside get clear errors")
    func argumentErrors() async throws {
        let harness = ToolCallHarness(workspace: fixture.root)
        #expect(try await tool.call([:], in: harness) == .error("Missing argument \"pattern\": expected a string."))
        #expect(try await tool.call(["pattern": ""], in: harness)
            == .error("pattern is empty: give a regular expression to search for."))
        #expect(try await tool.call(["pattern": "x", "path": "../.."], in: harness)
            == .error("Path \"../..\" is outside the workspace \(fixture.root.path)."))
        #expect(try await tool.call(["pattern": "x", "max_results": 0], in: harness)
            == .error("max_results must be between 1 and 5000, not 0."))
    }
}

@Suite("Workspace tool set")
struct BuiltInToolsTests {
    @Test("Offers list_files, read_file, grep, shell, write_file and edit_file; shell and the editing tools are not concurrency-safe")
    func toolSet() {
        let tools = BuiltInTools.workspaceTools(shellGrace: .milliseconds(100))
        #expect(tools.map(\.name) == ["list_files", "read_file", "grep", "shell", "write_file", "edit_file"])
        #expect(tools.map(\.isConcurrencySafe) == [true, true, true, false, false, false])
        for tool in tools {
            #expect(tool.spec.parameters["type"] == "object")
        }
    }
}
