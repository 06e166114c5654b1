import Foundation
import MusterCore

/// Assembles streamed `tool_calls` fragments into whole calls, keyed by the fragments' `index`.
///
/// The first fragment of a call carries its id and function name; later ones append to the arguments text.
/// Arguments that are not a JSON object arrive as `{"_raw": "<the text>"}` (see `OpenAIModel.rawArgumentsKey`),
/// so the call still reaches the tool executor and the model gets a clear error it can correct.
struct ToolCallAssembler {
    private struct PartialCall {
        var id = ""
        var name = ""
        var arguments = ""
    }

    private var calls: [Int: PartialCall] = [:]

    var isEmpty: Bool { calls.isEmpty }

    /// Adds the fragments of one delta; a fragment without `index` takes its position in the delta.
    mutating func add(_ fragments: [ChatCompletionChunk.ToolCallDelta]) {
        for (position, fragment) in fragments.enumerated() {
            let index = fragment.index ?? position
            var call = calls[index] ?? PartialCall()
            if call.id.isEmpty, let id = fragment.id { call.id = id }
            if call.name.isEmpty, let name = fragment.function?.name { call.name = name }
            call.arguments += fragment.function?.arguments ?? ""
            calls[index] = call
        }
    }

    /// The finished calls in index order.
    func assembledCalls() throws(OpenAIModelError) -> [ToolCall] {
        try calls.keys.sorted().map { index throws(OpenAIModelError) in
            let call = calls[index]!
            guard !call.name.isEmpty else {
                throw .malformedStream("tool call at index \(index) has no function name")
            }
            let id = call.id.isEmpty ? "call_\(UUID().uuidString.prefix(8).lowercased())" : call.id
            return ToolCall(id: id, name: call.name, arguments: Self.parseArguments(call.arguments))
        }
    }

    /// The arguments object, `{}` for an empty text, or `{"_raw": text}` when the text is not a JSON object.
    static func parseArguments(_ text: String) -> JSONValue {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return [:] }
        if let value = try? JSONValue.parse(trimmed), case .object = value { return value }
        return [OpenAIModel.rawArgumentsKey: .string(text)]
    }
}
