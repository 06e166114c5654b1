import Testing
@testable import MusterOpenAI

@Suite("OpenAIConfiguration resolves flags and environment and never shows the key")
struct OpenAIConfigurationTests {
    @Test("Flags win over the environment, and the environment fills what the flags leave out")
    func precedence() throws {
        let environment = [
            "MUSTER_BASE_URL": "http://env:1/v1", "MUSTER_API_KEY": "env-key", "MUSTER_MODEL": "env-model",
        ]
        let fromFlags = try OpenAIConfiguration.resolve(
            baseURL: "http://flag:2/v1/", apiKey: "flag-key", model: "flag-model", environment: environment
        )
        #expect(fromFlags.baseURL == "http://flag:2/v1")
        #expect(fromFlags.apiKey == APIKey("flag-key"))
        #expect(fromFlags.model == "flag-model")

        let fromEnvironment = try OpenAIConfiguration.resolve(baseURL: nil, apiKey: "", model: nil, environment: environment)
        #expect(fromEnvironment.baseURL == "http://env:1/v1")
        #expect(fromEnvironment.apiKey == APIKey("env-key"))
        #expect(fromEnvironment.model == "env-model")
        #expect(fromEnvironment.chatCompletionsURL == "http://env:1/v1/chat/completions")
    }

    @Test("Without a base URL the configuration points at OpenAI, which needs a key")
    func defaults() throws {
        let resolved = try OpenAIConfiguration.resolve(baseURL: nil, apiKey: " sk-1\n", model: "gpt-4o-mini", environment: [:])
        #expect(resolved.baseURL == "https://api.openai.com/v1")
        #expect(resolved.apiKey == APIKey("sk-1"))
        #expect(throws: OpenAIConfigurationError.missingAPIKey(baseURL: "https://api.openai.com/v1")) {
            try OpenAIConfiguration.resolve(baseURL: nil, apiKey: nil, model: "gpt-4o-mini", environment: [:])
        }
    }

    @Test("A local server needs no key")
    func localWithoutKey() throws {
        let resolved = try OpenAIConfiguration.resolve(
            baseURL: "http://localhost:11434/v1", apiKey: nil, model: "llama3.1", environment: [:]
        )
        #expect(resolved.apiKey == nil)
    }

    @Test("A missing model is a clear error that names the flag and the variable")
    func missingModel() {
        #expect(throws: OpenAIConfigurationError.missingModel) {
            try OpenAIConfiguration.resolve(baseURL: nil, apiKey: "k", model: "  ", environment: ["MUSTER_MODEL": ""])
        }
        let message = OpenAIConfigurationError.missingModel.description
        #expect(message.contains("--model") && message.contains("MUSTER_MODEL"))
    }

    @Test("A base URL that is not an absolute http(s) API root is a clear error",
          arguments: ["not a url", "localhost:11434/v1", "ftp://example.com/v1", "http://", "http://h/v1?key=1", "/v1"])
    func invalidBaseURL(text: String) {
        do {
            _ = try OpenAIConfiguration.resolve(baseURL: text, apiKey: "k", model: "m", environment: [:])
            Issue.record("\(text) was accepted")
        } catch {
            guard case .invalidBaseURL(let rejected, _) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(rejected == text)
            #expect(error.description.contains("--base-url"))
        }
    }

    @Test("The configuration's text forms show <redacted> instead of the key")
    func redactedKey() throws {
        let configuration = try OpenAIConfiguration.resolve(
            baseURL: "http://localhost:8080/v1", apiKey: testKey, model: "m", environment: [:]
        )
        var dumped = ""
        dump(configuration, to: &dumped)
        for text in ["\(configuration)", String(reflecting: configuration), dumped, "\(configuration.apiKey!)"] {
            #expect(!text.contains(testKey), "the key leaked into: \(text)")
            #expect(text.contains("<redacted>"))
        }
    }
}
