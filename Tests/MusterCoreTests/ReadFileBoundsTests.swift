import Foundation
import Testing
@testable import MusterCore

@Suite("read_file on huge lines")
struct ReadFileBoundsTests {
    let fixture: WorkspaceFixture
    let tool = ReadFileTool()

    init() throws {
        fixture = try WorkspaceFixture()
    }

    /// A 100 MB file: `text` bytes of `x` without a newline, then a sparse hole of NUL bytes.
    /// A reader that goes past the text meets the NULs and calls the file binary.
    private func writeLongLineThenHole(_ name: String, text: Int, total: Int = 100 * 1024 * 1024, prefix: String = "") throws {
        let url = try fixture.write(name, prefix + String(repeating: "x", count: text))
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: UInt64(total))
        try handle.close()
    }

    @Test("A huge single line is read only up to the scan limit and reported as longer than it")
    func hugeLineStopsAtTheLimit() async throws {
        try writeLongLineThenHole("huge.txt", text: 3 * 1024 * 1024)
        let output = try await tool.call(["path": "huge.txt"], in: ToolCallHarness(workspace: fixture.root))
        // Never read as far as the hole 3 MB in: it would have been refused as binary.
        #expect(output == ToolOutput(
            "     1\t" + String(repeating: "x", count: 2_000) + " … [line longer than 1048576 bytes]\n"
                + "[Stopped inside line 1, which is longer than 1048576 bytes; the lines after it cannot be shown.]"
        ))
    }

    @Test("Lines before a huge line are shown; an offset past it is refused plainly")
    func offsetPastHugeLine() async throws {
        try writeLongLineThenHole("huge.txt", text: 3 * 1024 * 1024, prefix: "one\ntwo\n")
        let harness = ToolCallHarness(workspace: fixture.root)
        let window = try await tool.call(["path": "huge.txt", "max_lines": 2], in: harness)
        #expect(window.content == "     1\tone\n     2\ttwo\n[Showing lines 1–2; the file continues: read on with offset 3.]")
        #expect(try await tool.call(["path": "huge.txt", "offset": 4], in: harness) == .error(
            "\"huge.txt\": line 3 is longer than 1048576 bytes; read_file cannot read past it, so offset 4 cannot be reached."
        ))
    }

    @Test("A long line that ends within the scan limit is still counted and passed")
    func longLineWithinLimitIsPassed() async throws {
        try fixture.write("long.txt", String(repeating: "y", count: 900_000) + "\nafter\n")
        let output = try await tool.call(["path": "long.txt", "offset": 2], in: ToolCallHarness(workspace: fixture.root))
        #expect(output == ToolOutput("     2\tafter"))
    }
}
