import Foundation
import Testing
import MusterCore
@testable import MusterScripted

@Suite("Script JSON syntax: malformed text is reported with its line and column")
struct ScriptSyntaxTests {
    /// One malformed document and the exact message it must give.
    struct Malformed: CustomTestStringConvertible, Sendable {
        let label: String
        let text: String
        let message: String
        var testDescription: String { label }
    }

    static let cases: [Malformed] = [
        Malformed(
            label: "trailing comma in an object",
            text: "{\n  \"version\": 1,\n}",
            message: #"demo.json: line 3, column 1: malformed JSON: a comma before "}" is not allowed in JSON; remove it"#
        ),
        Malformed(
            label: "trailing comma in an array",
            text: "{\"agents\": [1, 2, ]}",
            message: #"demo.json: line 1, column 19: malformed JSON: a comma before "]" is not allowed in JSON; remove it"#
        ),
        Malformed(
            label: "missing comma between members",
            text: "{\n  \"version\": 1\n  \"agents\": {}\n}",
            message: #"demo.json: line 3, column 3: malformed JSON: unexpected '"'; expected "," between members or "}" to close the object"#
        ),
        Malformed(
            label: "unclosed object",
            text: "{\"version\": 1",
            message: #"demo.json: line 1, column 14: malformed JSON: unexpected end of the document; expected "," or "}" to close the object"#
        ),
        Malformed(
            label: "empty file",
            text: "",
            message: "demo.json: line 1, column 1: malformed JSON: the document is empty; expected a JSON object"
        ),
        Malformed(
            label: "unquoted key",
            text: "{version: 1}",
            message: "demo.json: line 1, column 2: malformed JSON: unexpected 'v'; expected a key in double quotes"
        ),
        Malformed(
            label: "single-quoted string",
            text: "{\"say\": 'hi'}",
            message: #"demo.json: line 1, column 9: malformed JSON: strings need double quotes ("..."), not single quotes"#
        ),
        Malformed(
            label: "comment",
            text: "{\n  // the demo\n  \"version\": 1}",
            message: "demo.json: line 2, column 3: malformed JSON: comments are not allowed in JSON"
        ),
        Malformed(
            label: "line break inside a string",
            text: "{\"say\": \"two\nlines\"}",
            message: #"demo.json: line 1, column 13: malformed JSON: line break inside a string; write \n for a new line, or close the string with ""#
        ),
        Malformed(
            label: "misspelt literal",
            text: "{\"background\": tru}",
            message: "demo.json: line 1, column 19: malformed JSON: unexpected '}'; expected true (strings need double quotes)"
        ),
        Malformed(
            label: "text after the document",
            text: "{}\n{}",
            message: "demo.json: line 2, column 1: malformed JSON: unexpected '{' after the end of the JSON value; expected nothing more"
        ),
        Malformed(
            label: "column counts characters, not bytes",
            text: "{\"say\": \"héllo wörld\" x}",
            message: #"demo.json: line 1, column 23: malformed JSON: unexpected 'x'; expected "," between members or "}" to close the object"#
        ),
        Malformed(
            label: "unknown escape",
            text: #"{"say": "a\qb"}"#,
            message: #"demo.json: line 1, column 12: malformed JSON: unknown escape "\q"; expected one of \" \\ \/ \b \f \n \r \t \uXXXX"#
        ),
        Malformed(
            label: "duplicate key, named with its place",
            text: "{\"version\": 1, \"agents\": {\"main\": {\"scenarios\": [{\"name\": \"a\", \"turns\": [\n  {\"say\": \"one\", \"say\": \"two\"}]}]}}}",
            message: #"demo.json: line 2, column 18: malformed JSON: duplicate key "say" in agents.main.scenarios[0].turns[0]"#
        ),
        Malformed(
            label: "leading zero",
            text: "{\"wait_ms\": 0500}",
            message: "demo.json: line 1, column 14: malformed JSON: numbers cannot start with 0 (write 5 without the leading 0)"
        ),
    ]

    @Test("malformed JSON gives the line, the column and what was expected", arguments: cases)
    func reportsPosition(_ malformed: Malformed) {
        #expect(scriptLoadError(malformed.text) == malformed.message)
    }

    @Test("the parser reads every kind of JSON value exactly")
    func parsesValues() throws {
        let text = #"""
            {"s": "a\"b\\c\/d\n\t\u00e9\ud83d\ude00", "n": [0, -1, 2.5, 1e3, -0.25E-2], "b": [true, false], "z": null, "o": {}, "a": []}
            """#
        let value = try ScriptJSONParser.parse(Data(("\u{FEFF}" + text).utf8))
        #expect(value == [
            "s": "a\"b\\c/d\n\té😀",
            "n": [0, -1, 2.5, 1000, -0.0025],
            "b": [true, false],
            "z": nil,
            "o": [:],
            "a": [],
        ])
    }

    @Test("parsing time grows linearly with the document (positions are only counted for an error)")
    func parsesLargeDocumentsQuickly() throws {
        // 20,000 small objects: about 0.1 s when linear, many minutes when each key rescans the text.
        let text = "[" + Array(repeating: #"{"say": "hi", "wait_ms": 1}"#, count: 20_000).joined(separator: ",\n") + "]"
        let start = ContinuousClock.now
        let value = try ScriptJSONParser.parse(Data(text.utf8))
        #expect(value.arrayValue?.count == 20_000)
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    @Test("deep nesting is refused instead of overflowing the stack")
    func refusesDeepNesting() {
        let text = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        let message = scriptLoadError(text)
        #expect(message == "demo.json: line 1, column 257: malformed JSON: nested more than 256 levels deep")
    }

    @Test("invalid UTF-8 inside a string is refused")
    func refusesInvalidUTF8() throws {
        var bytes = Array(#"{"say": "ab"#.utf8)
        bytes.append(0xFF)
        bytes.append(contentsOf: Array(#""}"#.utf8))
        do {
            _ = try ScriptLoader.load(data: Data(bytes), origin: "demo.json")
            Issue.record("invalid UTF-8 was accepted")
        } catch {
            #expect(error.description == "demo.json: line 1, column 9: malformed JSON: this string is not valid UTF-8 text")
        }
    }
}
