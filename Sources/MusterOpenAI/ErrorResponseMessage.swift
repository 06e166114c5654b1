import Foundation
import NIOHTTP1

/// Extracts the human-readable message from an error response body.
///
/// Understands `{"error": {"message": ...}}` (OpenAI, vLLM, OpenRouter), `{"error": "..."}` (Ollama) and
/// `{"message": ...}`; anything else is shown as a short excerpt of the body, or the status's reason phrase.
enum ErrorResponseMessage {
    private struct Envelope: Decodable {
        struct Detail: Decodable { var message: String? }

        /// `error` is an object with a message, or (Ollama) the message itself.
        enum ErrorField: Decodable {
            case detail(Detail)
            case text(String)

            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let text = try? container.decode(String.self) { self = .text(text) }
                else { self = .detail(try container.decode(Detail.self)) }
            }
        }

        var error: ErrorField?
        var message: String?

        var bestMessage: String? {
            switch error {
            case .detail(let detail): detail.message ?? message
            case .text(let text): text
            case nil: message
            }
        }
    }

    /// The message, with `key` redacted before it is cut to 500 characters (so no part of the key survives the cut).
    static func extract(from body: [UInt8], status: HTTPResponseStatus, redacting key: APIKey?) -> String {
        let structured = (try? JSONDecoder().decode(Envelope.self, from: Data(body)))?.bestMessage
        let candidate = structured.flatMap { $0.isEmpty ? nil : $0 } ?? String(decoding: body, as: UTF8.self)
        var text = (key?.redacting(candidate) ?? candidate).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { text = status.reasonPhrase }
        if text.count > 500 { text = String(text.prefix(500)) + "..." }
        if let last = text.last, !".!?".contains(last) { text += "." }
        return text
    }
}
