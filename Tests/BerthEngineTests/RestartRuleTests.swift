import BerthCore
import Testing

@testable import BerthEngine

/// Docker's restart-policy decisions and backoff, as berthd's exit watcher applies them.
@Suite struct RestartRuleTests {
    @Test func decisions() {
        let onFailure2 = RestartRule("on-failure:2")
        #expect(onFailure2.kind == .onFailure && onFailure2.maxRetries == 2)
        #expect(onFailure2.shouldRestart(exitCode: 1, restartCount: 0, stoppedByUser: false))
        #expect(onFailure2.shouldRestart(exitCode: 1, restartCount: 1, stoppedByUser: false))
        #expect(!onFailure2.shouldRestart(exitCode: 1, restartCount: 2, stoppedByUser: false))  // two restarts made
        #expect(!onFailure2.shouldRestart(exitCode: 0, restartCount: 0, stoppedByUser: false))  // success is final
        #expect(RestartRule("on-failure").shouldRestart(exitCode: 3, restartCount: 1000, stoppedByUser: false))
        #expect(RestartRule("always").shouldRestart(exitCode: 0, restartCount: 50, stoppedByUser: false))
        #expect(RestartRule("unless-stopped").shouldRestart(exitCode: 0, restartCount: 0, stoppedByUser: false))
        for policy in ["always", "unless-stopped", "on-failure"] {
            #expect(!RestartRule(policy).shouldRestart(exitCode: 1, restartCount: 0, stoppedByUser: true), "\(policy)")
        }
        #expect(!RestartRule("no").shouldRestart(exitCode: 1, restartCount: 0, stoppedByUser: false))
    }

    @Test func backoffDoublesFromAHundredMillisecondsAndResetsAfterTenSecondsUp() {
        var delay: UInt64 = 0
        var seen: [UInt64] = []
        for _ in 0..<4 {
            delay = RestartRule.nextDelay(previous: delay, ranSeconds: 0.1)
            seen.append(delay / 1_000_000)
        }
        #expect(seen == [100, 200, 400, 800])
        #expect(RestartRule.nextDelay(previous: 800_000_000, ranSeconds: 10) == 100_000_000)
        #expect(RestartRule.nextDelay(previous: 50_000_000_000, ranSeconds: 1) == 60_000_000_000)
    }

    @Test func apiPoliciesValidated() throws {
        #expect(try RestartRule.specText(name: nil, maxRetries: nil, autoRemove: false) == "no")
        #expect(try RestartRule.specText(name: "", maxRetries: 0, autoRemove: true) == "no")
        #expect(try RestartRule.specText(name: "on-failure", maxRetries: 2, autoRemove: false) == "on-failure:2")
        #expect(try RestartRule.specText(name: "unless-stopped", maxRetries: 0, autoRemove: false) == "unless-stopped")
        #expect(throws: BerthError.self) {
            try RestartRule.specText(name: "sometimes", maxRetries: nil, autoRemove: false)
        }
        #expect(throws: BerthError.self) { try RestartRule.specText(name: "always", maxRetries: 3, autoRemove: false) }
        #expect(throws: BerthError.self) { try RestartRule.specText(name: "always", maxRetries: nil, autoRemove: true) }
    }
}
