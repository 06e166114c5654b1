import Foundation
import Testing
@testable import MusterCore

@Suite("The second-signal rule")
struct SignalRuleTests {
    @Test("the first stop signal asks for an orderly stop, a second one for 'now'")
    func secondSignalIsNow() {
        var rule = SignalRule(stopSignals: [SIGINT, SIGTERM, SIGHUP])
        #expect(rule.receive(SIGTERM) == [.stop(.terminated)])
        #expect(rule.isStopping)
        #expect(rule.receive(SIGINT) == [.stopNow(.interrupted)], "the second signal's own ending")
        #expect(rule.receive(SIGHUP) == [.stopNow(.hangup)])
    }

    @Test("two signals the kernel merged into one delivery are a stop and a 'now'; more add nothing")
    func mergedSignals() {
        var pair = SignalRule(stopSignals: [SIGTERM, SIGHUP])
        #expect(pair.receive(SIGTERM, count: 2) == [.stop(.terminated), .stopNow(.terminated)])
        var many = SignalRule(stopSignals: [SIGTERM, SIGHUP])
        #expect(many.receive(SIGHUP, count: 7) == [.stop(.hangup), .stopNow(.hangup)])
        var none = SignalRule(stopSignals: [SIGTERM])
        #expect(none.receive(SIGTERM, count: 0) == [.stop(.terminated)], "a delivery is at least one signal")
    }

    @Test("signals that are not stop signals go to the front end, merged pairs as two, and never start a stop")
    func watchedSignals() {
        var rule = SignalRule(stopSignals: [SIGTERM, SIGHUP])
        #expect(rule.receive(SIGINT) == [.signal(SIGINT)])
        #expect(rule.receive(SIGINT, count: 3) == [.signal(SIGINT), .signal(SIGINT)], "a double Ctrl-C stays a double")
        #expect(rule.receive(SIGWINCH) == [.signal(SIGWINCH)])
        #expect(!rule.isStopping)
        #expect(rule.receive(SIGTERM) == [.stop(.terminated)])
        #expect(rule.receive(SIGINT) == [.signal(SIGINT)], "Ctrl-C while stopping is still the front end's")
    }
}
