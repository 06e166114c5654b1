import Foundation
import MusterCore

extension ModelEvent {
    /// A call of tool `name`, with a fresh id unless one is given.
    public static func call(_ name: String, _ arguments: JSONValue = [:], id: String = UUID().uuidString) -> ModelEvent {
        .toolCall(ToolCall(id: id, name: name, arguments: arguments))
    }

    /// The end of a turn, with token counts of one.
    public static let end = ModelEvent.endOfTurn(Usage(inputTokens: 1, outputTokens: 1))
}
