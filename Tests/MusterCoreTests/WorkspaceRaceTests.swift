import Foundation
import Testing
@testable import MusterCore

#if canImport(Glibc)
import Glibc
#endif

@Suite("Workspace confinement under a swapping race")
struct WorkspaceRaceTests {
    /// Swaps of `dir` between a real directory and a link out at least; the tools read all the while.
    static let swaps = 10_000
    /// Tool calls made while the swapping goes on at least (on a loaded machine the swaps alone
    /// can be over before the tools have read much).
    static let reads = 400

    @Test("A directory swapped with a link out, over and over while the tools read, never leaks", arguments: BeneathResolver.Method.allCases)
    func swappingNeverLeaks(method: BeneathResolver.Method) async throws {
        let fixture = try WorkspaceFixture()
        let outside = try WorkspaceFixture()
        try outside.write("secret.txt", "SECRET outside\n")
        try fixture.write("stash/inside.txt", "INSIDE stash\n")
        let swapper = Swapper(workspace: fixture.root.path, outside: outside.root.path, swaps: Self.swaps, reads: Self.reads)
        swapper.start()

        let harness = ToolCallHarness(workspace: fixture.root)
        var reads = 0
        var insideSeen = 0
        var leaks: [String] = []
        let tools: [(any Tool, JSONValue)] = [
            (ReadFileTool(resolution: method), ["path": "dir/inside.txt"]),
            (ReadFileTool(resolution: method), ["path": "dir/secret.txt"]),
            (GrepTool(resolution: method), ["pattern": "[S]ECRET|INSIDE", "path": "dir"]),
            (ListFilesTool(resolution: method), ["path": "dir"]),
            (GrepTool(resolution: method), ["pattern": "[S]ECRET|INSIDE", "path": "dir/secret.txt"]),
        ]
        while !swapper.isFinished {
            for (tool, arguments) in tools {
                let output = try await tool.call(arguments, in: harness)
                reads += 1
                swapper.countRead()
                if output.content.contains("INSIDE") { insideSeen += 1 }
                // Only the outside directory holds secret.txt: listing it is a leak too.
                if output.content.contains("SECRET") || (tool.name == "list_files" && output.content.contains("secret.txt")) {
                    leaks.append("\(tool.name): \(output.content)")
                }
            }
        }
        await swapper.join()
        #expect(swapper.failures == 0)
        #expect(leaks.isEmpty, "\(leaks.count) leaks in \(reads) reads: \(leaks.prefix(3))")
        // The race really ran: the tools saw the inside directory between swaps.
        #expect(reads > 0)
        #expect(insideSeen > 0)
    }
}

/// A thread that turns `dir` into the real directory and into a link out, `swaps` times and
/// until the test has made `reads` tool calls.
private final class Swapper: Sendable {
    let workspace: String
    let outside: String
    let swaps: Int
    let reads: Int
    // Locked: written by the swapping thread, read by the test.
    private let state = Locked((finished: false, failures: 0))
    private let readsDone = Locked(0)
    private let done = Locked<CheckedContinuation<Void, Never>?>(nil)

    init(workspace: String, outside: String, swaps: Int, reads: Int) {
        self.workspace = workspace
        self.outside = outside
        self.swaps = swaps
        self.reads = reads
    }

    func countRead() { readsDone.withLock { $0 += 1 } }

    var isFinished: Bool { state.withLock { $0.finished } }
    var failures: Int { state.withLock { $0.failures } }

    func start() {
        let thread = Thread { [self] in run() }
        thread.start()
    }

    /// Waits until the thread has made its last swap.
    func join() async {
        await withCheckedContinuation { continuation in
            let finished = state.withLock { state in
                if !state.finished { done.withLock { $0 = continuation } }
                return state.finished
            }
            if finished { continuation.resume() }
        }
    }

    private func run() {
        let dir = workspace + "/dir"
        let stash = workspace + "/stash"
        var failures = 0
        var swapped = 0
        while swapped < swaps || readsDone.withLock({ $0 }) < reads {
            swapped += 1
            if rename(stash, dir) != 0 { failures += 1 }
            if rename(dir, stash) != 0 { failures += 1 }
            if symlink(outside, dir) != 0 { failures += 1 }
            if unlink(dir) != 0 { failures += 1 }
        }
        let continuation = state.withLock { state in
            state.finished = true
            state.failures = failures
            return done.withLock { $0 }
        }
        continuation?.resume()
    }
}
