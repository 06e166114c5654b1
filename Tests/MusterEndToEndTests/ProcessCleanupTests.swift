import Foundation
import MusterCore
import Testing

/// Headless runs whose shell commands detach (`setsid`, double forks, a cleared environment):
/// after the run ends, a signal, a second signal, or a SIGKILL and the next start, none survives.
@Suite("Process cleanup end to end", .enabled(if: HeadlessProcess.binary != nil, "build muster first (swift build)"), .serialized)
struct ProcessCleanupTests {
    static let script = HeadlessProcess.fixtures.appendingPathComponent("processes.json")

    /// A unique tag for the sleeps of one test, so their processes can be found in /proc.
    private static func tag() -> String { "\(Int.random(in: 100_000...999_999))" }

    /// Every way a command can leave its process group, each a `sleep 300.<tag><n>`.
    private static func detachingCommand(_ tag: String) -> String {
        "setsid sleep 300.\(tag)1 & setsid -f sleep 300.\(tag)2; (setsid sh -c 'sleep 300.\(tag)3 &' &);"
            + " env -i /usr/bin/setsid -f /bin/sleep 300.\(tag)4;"
    }

    /// The test's sleeps still alive (not Muster or the shells, whose command lines hold the tag too).
    private static func survivors(_ tag: String) -> [Int32] {
        HeadlessProcess.processes(containing: "300.\(tag)").filter { pid in
            (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) == "sleep\n"
        }
    }

    private static func killSurvivors(_ tag: String) {
        for pid in survivors(tag) { kill(pid, SIGKILL) }
    }

    private static func waitForSleeps(_ tag: String, count: Int) async throws {
        try await HeadlessProcess.waitUntil(timeout: .seconds(30), what: "\(count) sleeps to start") {
            survivors(tag).count >= count
        }
    }

    @Test("processes that called setsid(), double-forked or cleared their environment do not outlive a run that finished")
    func detachedProcessesEndWithTheRun() async throws {
        let scratch = try HeadlessProcess.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let tag = Self.tag()
        defer { Self.killSurvivors(tag) }
        let muster = try HeadlessProcess(["-p", Self.detachingCommand(tag) + " echo started"], scratch: scratch, script: Self.script)
        defer { muster.stop() }
        #expect(try await muster.waitForExit() == 0)
        #expect(muster.standardOutput.contains("started"))
        // The call stops them before it returns: nothing to wait for after the exit.
        #expect(Self.survivors(tag).isEmpty, "survivors: \(Self.survivors(tag))")
    }
}
