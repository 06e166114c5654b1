@testable import MusterCore
@testable import MusterPresentation
import Testing

@Suite("Inert terminal text and display width")
struct CommandsTerminalTextTests {
    @Test("escape and other control characters are shown in caret notation")
    func caretNotation() {
        #expect(TerminalSanitizer.sanitize("\u{1B}[31mred\u{1B}[0m") == "^[[31mred^[[0m")
        #expect(TerminalSanitizer.sanitize("bell\u{07} nul\u{00} del\u{7F}") == "bell^G nul^@ del^?")
        #expect(TerminalSanitizer.sanitize("a\rb") == "a^Mb")
        #expect(TerminalSanitizer.sanitize("csi\u{9B}2J") == "csiM-^[2J")
    }

    @Test("tabs become spaces up to the next tab stop")
    func tabs() {
        #expect(TerminalSanitizer.sanitize("a\tb") == "a   b")
        #expect(TerminalSanitizer.sanitize("\tx") == "    x")
    }

    @Test("bidirectional overrides are shown, not obeyed")
    func bidi() {
        #expect(TerminalSanitizer.sanitize("abc\u{202E}def") == "abc<U+202E>def")
    }

    @Test("the left-to-right, right-to-left and Arabic letter marks are shown, not obeyed")
    func bidiMarks() {
        #expect(TerminalSanitizer.sanitize("a\u{200E}b\u{200F}c\u{061C}d") == "a<U+200E>b<U+200F>c<U+061C>d")
        #expect(!TerminalSanitizer.isInert("\u{200F}"))
        // Each escape takes its own width in columns, so a tab after it still reaches the next stop.
        #expect(TerminalSanitizer.sanitize("\u{200E}\tx") == "<U+200E>    x")
    }

    @Test("ordinary text, wide characters and combining marks pass unchanged")
    func passThrough() {
        for text in ["plain", "日本語のテキスト", "e\u{301}te\u{301}", "emoji 🎉", "· → │ ●"] {
            #expect(TerminalSanitizer.isInert(text))
        }
    }

    @Test("text splits into lines on LF and CRLF")
    func lines() {
        #expect(TerminalSanitizer.lines(of: "one\r\ntwo\nthree\u{1B}") == ["one", "two", "three^["])
        #expect(TerminalSanitizer.lines(of: "") == [""])
    }

    @Test("wide characters take two columns, combining marks none")
    func widths() {
        #expect(DisplayWidth.of("abc") == 3)
        #expect(DisplayWidth.of("日本") == 4)
        #expect(DisplayWidth.of("e\u{301}") == 1)
        #expect(DisplayWidth.of("🎉") == 2)
        #expect(DisplayWidth.clusters(of: "a日e\u{301}").map(\.width) == [1, 2, 1])
        #expect(DisplayWidth.clusters(of: "e\u{301}").first?.text == "e\u{301}")
    }

    @Test("a width counted without making the cells is what the cells add up to, and they join back into the text", arguments: [
        "plain", "日本語", "e\u{301}\u{302}x", "\u{301}lead", "\u{200D}", "👩\u{200D}💻 team", "❤\u{FE0F}", "🇫🇷", "tab\there",
        "\u{7}bell", "⠋ running │ 3m ●", "mixed 日 a\u{301} 🎉 end", "\u{0}", "",
    ])
    func widthMatchesClusters(text: String) {
        let clusters = DisplayWidth.clusters(of: text)
        #expect(DisplayWidth.of(text) == clusters.reduce(0) { $0 + $1.width })
        #expect(clusters.map(\.text).joined() == text)
        var seen: [DisplayWidth.Cluster] = []
        DisplayWidth.forEachCluster(of: text) { seen.append($0) }
        #expect(seen == clusters)
    }

    @Test("truncation and padding count columns, not characters")
    func truncateAndPad() {
        #expect(DisplayWidth.truncate("日本語テキスト", to: 7) == "日本語…")
        #expect(DisplayWidth.truncate("short", to: 10) == "short")
        #expect(DisplayWidth.pad("日本", to: 6) == "日本  ")
    }

    @Test("truncation cuts at exactly the width, whether the text is ASCII or wide")
    func truncateAtTheEdge() {
        #expect(DisplayWidth.truncate("abcde", to: 5) == "abcde")
        #expect(DisplayWidth.truncate("abcdef", to: 5) == "abcd…")
        // Six bytes but four columns: fits in four.
        #expect(DisplayWidth.truncate("日本", to: 4) == "日本")
        #expect(DisplayWidth.truncate("日本", to: 3) == "日…")
    }

    @Test("clean text is returned as is, and a control character anywhere is still replaced")
    func sanitizeFastAndSlowPaths() {
        #expect(TerminalSanitizer.sanitize("step 3 · grep") == "step 3 · grep")
        #expect(TerminalSanitizer.sanitize("step 3 · grep\u{1B}") == "step 3 · grep^[")
        #expect(TerminalSanitizer.sanitize("日本\u{85}") == "日本M-^E")
        #expect(TerminalSanitizer.sanitize(Substring("x\u{2066}y")) == "x<U+2066>y")
    }

    @Test("a task's one-line text is its first non-blank line, trimmed")
    func oneLine() {
        #expect(TaskTable.oneLine("done") == "done")
        #expect(TaskTable.oneLine("  done  ") == "done")
        #expect(TaskTable.oneLine("\tdone") == "done")
        #expect(TaskTable.oneLine("\n\n  first\nsecond") == "first")
        #expect(TaskTable.oneLine("first\r\nsecond") == "first")
        #expect(TaskTable.oneLine("   ") == "")
        #expect(TaskTable.oneLine("") == "")
    }

    @Test("the exit summary counts background agents cancelled and names stragglers")
    func exitSummary() {
        func task(_ id: Int, mode: TaskMode) -> TaskSnapshot {
            TaskSnapshot(
                id: TaskID(id), name: "a\(id)", kind: .agent, description: "", spawner: .topLevel, mode: mode,
                status: .cancelled(by: .shutdown), cancelRequested: nil, startedAt: .zero, endedAt: .zero,
                startDate: .distantPast, age: .zero, trail: []
            )
        }
        let none = TaskRegistry.ShutdownReport(cancelled: [], stragglers: [])
        #expect(ExitSummary.line(for: none) == "No background agents were running at exit.")
        let two = TaskRegistry.ShutdownReport(cancelled: [task(1, mode: .background), task(2, mode: .background), task(3, mode: .foreground)], stragglers: [])
        #expect(ExitSummary.line(for: two) == "2 background agents were cancelled at exit (and 1 other task).")
        let stuck = TaskRegistry.ShutdownReport(cancelled: [task(1, mode: .background)], stragglers: [task(1, mode: .background)])
        #expect(ExitSummary.line(for: stuck, grace: .seconds(2)) == "1 background agent was cancelled at exit. Did not stop within 2.0s: #1 a1.")
    }
}

@Suite("Durations for people")
struct HumanReadableDurationTests {
    @Test("milliseconds under a second, tenths under a minute, then minutes and hours", arguments: [
        (Duration.zero, "0ms"),
        (.milliseconds(850), "850ms"),
        (.microseconds(999_400), "999ms"),
        (.microseconds(999_600), "1.0s"),
        (.milliseconds(3_200), "3.2s"),
        (.milliseconds(3_250), "3.3s"),
        (.milliseconds(59_940), "59.9s"),
        (.milliseconds(59_950), "1m00s"),
        (.seconds(245), "4m05s"),
        (.seconds(3_599), "59m59s"),
        (.seconds(3_720), "1h02m"),
        (.seconds(90_000), "25h00m"),
        (.milliseconds(-5), "0ms"),
    ])
    func formats(duration: Duration, text: String) {
        #expect(duration.humanReadable == text)
    }
}
