// The doubles and builders these tests share with the other test targets and muster-bench
// (Gate, Recorder, Tally, ClosureModel, the test tools, makeRuntime), visible in every file here.
@_exported import MusterTestSupport
