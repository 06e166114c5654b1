import Foundation
import Testing

/// Every `muster …` command line the README shows a user, run as the built binary: none may crash
/// or exit non-zero. The lines are read from the README itself, so a new example is tried too.
@Suite("The README's command lines, run as a new user runs them", .enabled(if: HeadlessProcess.binary != nil, "build muster first (swift build)"))
struct ReadmeCommandLinesTests {
    /// Lines a user may type that the README names in prose rather than in code.
    static let alwaysTried = [["--help"], ["-h"], ["--help-hidden"], ["--version"]]

    /// The arguments of every `muster …` or `swift run muster …` in the README's inline code and
    /// code blocks (a line broken inside backticks is joined), placeholders in capitals excluded.
    static func readmeCommandLines() throws -> [[String]] {
        let readme = try String(contentsOf: HeadlessProcess.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        var spans: [String] = []
        // Shell blocks (```sh) line by line (other blocks are diagrams and data), then inline spans in the rest.
        var outside = ""
        var fence: Substring?
        for line in readme.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") {
                fence = fence == nil ? line.dropFirst(3) : nil
                continue
            }
            if let fence {
                if ["sh", "shell", "console", "bash"].contains(fence) { spans.append(String(line.split(separator: "#").first ?? "")) }
            } else {
                outside += line + "\n"
            }
        }
        let parts = outside.split(separator: "`", omittingEmptySubsequences: false)
        for (index, part) in parts.enumerated() where index % 2 == 1 {
            spans.append(part.replacingOccurrences(of: "\n", with: " "))
        }
        var lines: [[String]] = []
        for span in spans {
            var words = try shellWords(span.trimmingCharacters(in: .whitespaces))
            if words.starts(with: ["swift", "run", "muster"]) { words.removeFirst(2) }
            guard words.first == "muster", words.count > 1 else { continue }
            // `muster -p "PROMPT"` shows a placeholder; try it with a real prompt.
            words = words.map { $0 == "PROMPT" ? "look around" : $0 }
            if words.contains(where: { $0.count > 1 && $0 == $0.uppercased() && $0.allSatisfy(\.isLetter) }) { continue }
            lines.append(Array(words.dropFirst()))
        }
        return lines
    }

    /// Splits like a POSIX shell for the simple lines a README holds: blanks, double and single quotes.
    static func shellWords(_ text: String) throws -> [String] {
        var words: [String] = []
        var current = ""
        var quote: Character?
        var inWord = false
        for character in text {
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "\"" || character == "'" {
                quote = character
                inWord = true
            } else if character == " " {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(character)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }

    @Test("the README shows at least the headless example and the local-server example")
    func readmeHasExamples() throws {
        let lines = try Self.readmeCommandLines()
        #expect(lines.contains(["-p", "survey this repo"]))
        #expect(lines.contains { $0.starts(with: ["--model-provider", "openai"]) })
    }

    @Test("help, version and every README example exit 0 without a crash", arguments: try readmeCommandLines() + alwaysTried)
    func commandLineRuns(_ arguments: [String]) async throws {
        let scratch = try HeadlessProcess.makeScratch()
        defer { try? FileManager.default.removeItem(at: scratch) }
        // The scripted demo runs on the immediate clock: the same conversation, without its minutes of pauses.
        let muster = try HeadlessProcess(arguments, scratch: scratch, script: nil, environment: ["MUSTER_CLOCK": "immediate"])
        defer { muster.stop() }
        let status = try await muster.waitForExit(timeout: .seconds(120))
        let output = muster.standardOutput + muster.standardError
        #expect(status == 0, "muster \(arguments.joined(separator: " ")) exited \(status):\n\(output)")
        #expect(!output.contains("crashed") && !output.contains("Could not cast") && !output.contains("Backtrac"), "\(output)")
        if arguments.first?.hasPrefix("-h") == true || arguments.first?.hasPrefix("--help") == true {
            #expect(muster.standardOutput.contains("USAGE: muster"), "help prints the usage: \(output)")
        }
    }

    @Test("usage errors exit 2 with a reason: an empty prompt, negative numbers, a directory as the script")
    func usageErrors() async throws {
        let cases: [([String], String)] = [
            (["-p", ""], "needs a prompt"),
            (["-p", "  "], "needs a prompt"),
            (["--step-limit", "-1", "-p", "x"], "--step-limit must be at least 1"),
            (["--background-timeout", "-1", "-p", "x"], "--background-timeout must be 0 or more"),
            (["--script", "/tmp", "-p", "x"], "is a directory"),
            (["--script", "/dev/zero", "-p", "x"], "is not a regular file"),
        ]
        for (arguments, reason) in cases {
            let scratch = try HeadlessProcess.makeScratch()
            defer { try? FileManager.default.removeItem(at: scratch) }
            let muster = try HeadlessProcess(arguments, scratch: scratch, script: nil)
            defer { muster.stop() }
            #expect(try await muster.waitForExit() == 2, "\(arguments)")
            #expect(muster.standardError.contains(reason), "\(arguments): \(muster.standardError)")
            #expect(!muster.standardError.contains("Missing value"), "\(arguments): \(muster.standardError)")
        }
    }
}
