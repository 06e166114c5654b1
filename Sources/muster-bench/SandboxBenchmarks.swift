import Foundation
import MusterCore
import MusterTmux

/// What the sandbox costs a shell command: its exec wrapper (muster-sandbox) applies Landlock
/// and then executes /bin/sh, one exec more than an unconfined command.
struct SandboxBenchmarks {
    let report: BenchmarkReport
    let workspace: URL

    /// Start to exit of `sh -c true`, unconfined and under workspace-write, interleaved so that
    /// the machine's load falls on both alike; the cost is the difference of the medians.
    func startCost(trials: Int) async throws {
        guard case .success(let abi) = Landlock.abi() else {
            throw BenchmarkError("this kernel has no Landlock")
        }
        guard let helper = Landlock.helper() else {
            throw BenchmarkError("\(Landlock.helperName) is not beside muster-bench (swift build -c release --product muster-bench)")
        }
        let sandbox = try Sandbox.confining(.workspaceWrite, workspace: workspace, denyNetwork: false, landlockABI: abi, helper: helper)
        defer { sandbox.removeScratch() }
        var plain: [Double] = []
        var confined: [Double] = []
        for trial in 0..<(trials * 2) {
            let sandboxed = trial % 2 == 1
            let launch = (sandboxed ? sandbox : .off).launch("true")
            let start = ContinuousClock.now
            let outcome = await ShortCommand.run([launch.executable] + launch.arguments, captureOutput: false)
            let took = (ContinuousClock.now - start).milliseconds
            guard outcome.status == 0 else { throw BenchmarkError("sh -c true failed (sandbox \(sandboxed)): \(outcome)") }
            if sandboxed { confined.append(took) } else { plain.append(took) }
        }
        let cost = Distribution(confined).median - Distribution(plain).median
        report.add("sandbox", "sh -c true unconfined, start to exit, median (\(trials) trials)", Distribution(plain).median, unit: "ms")
        report.add("sandbox", "sh -c true under workspace-write (Landlock ABI \(abi)), median", Distribution(confined).median, unit: "ms")
        report.add("sandbox", "cost the sandbox adds to starting a command, median", cost, unit: "ms", target: "< 1 ms", met: cost < 1)
    }
}
