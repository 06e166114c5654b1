import MusterTestSupport
import Testing

@Suite("muster-bench's arguments")
struct BenchArgumentsTests {
    let names = ["core", "latency", "processes"]

    @Test("--quick, --only NAME and --baseline PATH, in any order")
    func parses() throws {
        let arguments = try BenchArguments(["--baseline", "/tmp/old/muster", "--quick", "--only", "processes"], names: names)
        #expect(arguments.quick)
        #expect(arguments.only == "processes")
        #expect(arguments.baseline == "/tmp/old/muster")
        let none = try BenchArguments([], names: names)
        #expect(!none.quick && none.only == nil && none.baseline == nil)
    }

    @Test("a missing value, an unknown benchmark or argument is refused with a reason")
    func refuses() {
        #expect(throws: BenchArguments.Problem(description: "--baseline needs a value")) { try BenchArguments(["--baseline"], names: names) }
        #expect(throws: BenchArguments.Problem(description: "--baseline needs a value")) {
            try BenchArguments(["--baseline", "--quick"], names: names)
        }
        #expect(throws: BenchArguments.Problem(description: "--only needs one of: core, latency, processes")) {
            try BenchArguments(["--only", "nope"], names: names)
        }
        #expect(throws: BenchArguments.Problem.self) { try BenchArguments(["--fast"], names: names) }
    }
}
