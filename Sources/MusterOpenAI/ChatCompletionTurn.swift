import AsyncHTTPClient
import Foundation
import MusterCore
import NIOCore
import NIOHTTP1

/// One streamed turn: sends the request (with retries), then pulls the body and decodes it into events.
///
/// Every step runs inside `next()`, that is inside the task that consumes the turn's stream. Cancelling that
/// task cancels the pending request or body read, which closes the HTTP request at once; a task that is
/// already cancelled sends nothing. Dropping the turn mid-stream drops the body iterator, which also
/// closes the request.
actor ChatCompletionTurn {
    private enum State {
        case notStarted
        case streaming(HTTPClientResponse.Body.AsyncIterator)
        case finished
    }

    /// What one try of the request came to.
    private enum AttemptOutcome {
        case streaming(HTTPClientResponse)
        case retry(after: Duration, failure: OpenAIModelError)
        case fail(OpenAIModelError)
    }

    private let client: HTTPClient
    private let configuration: OpenAIConfiguration
    private let clock: any Clock<Duration>
    private let body: JSONValue
    private var state = State.notStarted
    private var decoder: ChatCompletionStreamDecoder
    private var pending: [ModelEvent] = []

    init(client: HTTPClient, configuration: OpenAIConfiguration, clock: any Clock<Duration>, request: ModelRequest) {
        self.client = client
        self.configuration = configuration
        self.clock = clock
        self.body = ChatCompletionRequestBody.make(model: configuration.model, request: request)
        self.decoder = ChatCompletionStreamDecoder(apiKey: configuration.apiKey)
    }

    /// The next event of the turn, or nil once `endOfTurn` has been returned.
    func next() async throws -> ModelEvent? {
        do {
            return try await nextEvent()
        } catch let error as OpenAIModelError {
            throw error.redacting(configuration.apiKey)
        }
    }

    private func nextEvent() async throws -> ModelEvent? {
        while true {
            if !pending.isEmpty { return pending.removeFirst() }
            switch state {
            case .finished:
                return nil
            case .notStarted:
                // Any error below ends the turn; only a response moves it on.
                state = .finished
                let response = try await sendWithRetries()
                state = .streaming(response.body.makeAsyncIterator())
            case .streaming(var iterator):
                state = .finished
                let bytes: ByteBuffer?
                do {
                    bytes = try await iterator.next(isolation: self)
                } catch {
                    throw streamFailure(error)
                }
                if let bytes {
                    pending = try decoder.consume(bytes.readableBytesView)
                    // After [DONE] the rest of the body is irrelevant; dropping the iterator ends the request.
                    if !decoder.isDone { state = .streaming(iterator) }
                } else {
                    pending = try decoder.finish()
                }
            }
        }
    }

    private func sendWithRetries() async throws -> HTTPClientResponse {
        let request = try makeHTTPRequest()
        var attempt = 1
        while true {
            try Task.checkCancellation()
            switch try await send(request, attempt: attempt) {
            case .streaming(let response):
                return response
            case .fail(let failure):
                throw failure
            case .retry(let delay, let failure):
                guard attempt < configuration.maxAttempts, delay <= configuration.maxBackoff else { throw failure }
                try await clock.sleep(for: delay)
                attempt += 1
            }
        }
    }

    private func send(_ request: HTTPClientRequest, attempt: Int) async throws -> AttemptOutcome {
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, deadline: .now() + TimeAmount(configuration.requestTimeout))
        } catch {
            let failure = try requestFailure(error, attempts: attempt)
            guard case .connectionFailed = failure else { return .fail(failure) }
            return .retry(after: backoff(before: attempt + 1, headers: nil), failure: failure)
        }
        let status = response.status
        if (200..<300).contains(status.code) { return .streaming(response) }

        let message = ErrorResponseMessage.extract(
            from: try await errorBody(of: response), status: status, redacting: configuration.apiKey
        )
        let delay = backoff(before: attempt + 1, headers: response.headers)
        switch status.code {
        case 401, 403:
            return .fail(.unauthorized(status: Int(status.code), message: message))
        case 404:
            return .fail(.notFound(url: configuration.chatCompletionsURL, message: message))
        case 429:
            return .retry(after: delay, failure: .rateLimited(message: message, attempts: attempt))
        case 500...599:
            return .retry(after: delay, failure: .serverError(status: Int(status.code), message: message, attempts: attempt))
        default:
            return .fail(.requestRejected(status: Int(status.code), message: message))
        }
    }

    private func backoff(before attempt: Int, headers: HTTPHeaders?) -> Duration {
        RetryDelay.before(attempt: attempt, headers: headers, initial: configuration.initialBackoff)
    }

    private func makeHTTPRequest() throws(OpenAIModelError) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: configuration.chatCompletionsURL)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "text/event-stream")
        request.headers.add(name: "User-Agent", value: "muster")
        if let key = configuration.apiKey, !key.secret.isEmpty {
            request.headers.add(name: "Authorization", value: "Bearer \(key.secret)")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            request.body = .bytes(ByteBuffer(bytes: try encoder.encode(body)))
        } catch {
            throw .invalidRequest("could not encode the request as JSON (\(error)).")
        }
        return request
    }

    /// The body of an error response, at most 64 KiB (an error page is never needed whole).
    private func errorBody(of response: HTTPClientResponse) async throws -> [UInt8] {
        var collected: [UInt8] = []
        do {
            for try await buffer in response.body {
                collected += buffer.readableBytesView.prefix(65_536 - collected.count)
                if collected.count >= 65_536 { break }
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // A broken error body still leaves the status to report.
        }
        return collected
    }

    /// Maps an error from sending the request; rethrows cancellation.
    private func requestFailure(_ error: any Error, attempts: Int) throws -> OpenAIModelError {
        if Task.isCancelled || error is CancellationError { throw CancellationError() }
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return .timedOut(.connect, after: configuration.connectTimeout)
            case .readTimeout: return .timedOut(.read, after: configuration.readTimeout)
            case .deadlineExceeded: return .timedOut(.request, after: configuration.requestTimeout)
            case .cancelled: throw CancellationError()
            case .alreadyShutdown: return .invalidRequest("the model was shut down; it cannot run more turns.")
            default: break
            }
        }
        return .connectionFailed(
            message: "\(TransportErrorMessage.describe(error)) (\(configuration.baseURL)).", attempts: attempts
        )
    }

    /// Maps an error from reading the body; rethrows cancellation.
    private func streamFailure(_ error: any Error) -> any Error {
        if Task.isCancelled || error is CancellationError { return CancellationError() }
        if let error = error as? HTTPClientError {
            switch error {
            case .readTimeout: return OpenAIModelError.timedOut(.read, after: configuration.readTimeout)
            case .deadlineExceeded: return OpenAIModelError.timedOut(.request, after: configuration.requestTimeout)
            case .cancelled: return CancellationError()
            default: break
            }
        }
        return OpenAIModelError.truncatedStream("the connection broke mid-stream (\(TransportErrorMessage.describe(error))).")
    }
}

extension TimeAmount {
    /// The same span as a NIO `TimeAmount`.
    /// The same span as a NIO `TimeAmount`, clamped to what it can hold.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let (nanoseconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        self = overflow ? .nanoseconds(seconds < 0 ? .min : .max) : .nanoseconds(nanoseconds &+ attoseconds / 1_000_000_000)
    }
}
