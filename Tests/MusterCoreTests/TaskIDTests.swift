import Foundation
import MusterCore
import Testing

@Suite("Task ids")
struct TaskIDTests {
    @Test("An id reads as a number with or without its hash sign", arguments: [
        ("7", 7), ("#7", 7), (" #7 ", 7), ("#12", 12), ("1", 1), ("007", 7),
    ])
    func parsesNumbers(text: String, expected: Int) {
        #expect(TaskID(parsing: text) == TaskID(expected))
    }

    @Test("Anything that is not a positive whole number is not an id", arguments: [
        "#", "-1", "#-1", "abc", "0", "#0", "7x", "x7", "", " ", "##7", "+7", "7.0", "# 7",
        "٧", "99999999999999999999999",
    ])
    func rejectsBadInput(text: String) {
        #expect(TaskID(parsing: text) == nil)
    }

    @Test("An id shows itself with a hash sign")
    func describesWithHash() {
        #expect(TaskID(7).description == "#7")
        #expect("\(TaskID(42))" == "#42")
    }

    @Test("Ids order by their number")
    func ordersByNumber() {
        #expect(TaskID(2) < TaskID(10))
        #expect([TaskID(3), TaskID(1), TaskID(2)].sorted() == [TaskID(1), TaskID(2), TaskID(3)])
    }

    @Test("An id encodes as a bare number and decodes back")
    func roundTripsAsNumber() throws {
        let data = try JSONEncoder().encode([TaskID(7)])
        #expect(String(decoding: data, as: UTF8.self) == "[7]")
        #expect(try JSONDecoder().decode([TaskID].self, from: data) == [TaskID(7)])
    }
}
