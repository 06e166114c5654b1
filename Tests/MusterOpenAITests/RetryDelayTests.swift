import NIOHTTP1
import Testing
@testable import MusterOpenAI

@Suite("Retry delays follow the server's Retry-After or back off exponentially")
struct RetryDelayTests {
    @Test("Without a usable Retry-After the delay doubles from the initial backoff",
          arguments: [[], [("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT")], [("Retry-After", "-3")], [("Retry-After", "nan")]])
    func exponential(headers: [(String, String)]) {
        let delays = (2...4).map { RetryDelay.before(attempt: $0, headers: HTTPHeaders(headers), initial: .seconds(1)) }
        #expect(delays == [.seconds(1), .seconds(2), .seconds(4)])
    }

    @Test("Retry-After in seconds and retry-after-ms are honoured; absurd values are capped at a day")
    func serverRequested() {
        #expect(RetryDelay.serverRequested(HTTPHeaders([("Retry-After", "7")])) == .seconds(7))
        #expect(RetryDelay.serverRequested(HTTPHeaders([("Retry-After", "1.5")])) == .milliseconds(1500))
        #expect(RetryDelay.serverRequested(HTTPHeaders([("retry-after-ms", "250"), ("Retry-After", "1")])) == .milliseconds(250))
        #expect(RetryDelay.serverRequested(HTTPHeaders([("Retry-After", "1e300")])) == .seconds(86_400))
        #expect(RetryDelay.serverRequested(HTTPHeaders([("Retry-After", "inf")])) == .seconds(86_400))
    }
}
