import Testing
import TidingsTestSupport

@testable import TidingsPostgres

/// Every transition of the capturer's election, without a database or a clock.
@Suite struct CaptureLeadershipTests {
    private func leadership() -> CaptureLeadership {
        CaptureLeadership(electionInterval: .milliseconds(100), backoff: Backoff(initial: .milliseconds(200), maximum: .seconds(30)))
    }

    @Test("a connected gateway asks for the lock, and asks again every election interval until it wins")
    func candidateAsksUntilItWins() {
        var election = leadership()
        #expect(election.state == .idle && !election.isCapturer)
        #expect(election.connected() == .askForLock)
        #expect(election.state == .candidate)
        #expect(election.lockAnswered(won: false) == .wait(.milliseconds(100)))
        #expect(!election.isCapturer)
        #expect(election.waited() == .askForLock)
        #expect(election.lockAnswered(won: true) == .lead)
        #expect(election.state == .leader && election.isCapturer)
    }

    @Test("a failed round steps down and backs off longer each time, capped, until a round ends cleanly")
    func failedRoundsBackOff() {
        var election = leadership()
        var generator = SplitMix64(seed: 7)
        _ = election.connected()
        _ = election.lockAnswered(won: true)
        for round in 0..<10 {
            guard case .stepDown(let delay) = election.roundFailed(using: &generator) else {
                Issue.record("a failed round must step down")
                return
            }
            #expect(election.state == .backingOff && !election.isCapturer)
            let ceiling = min(.seconds(30), .milliseconds(200) * (1 << round))
            #expect(delay > .zero && delay <= ceiling, "round \(round): \(delay)")
            _ = election.connected()
        }
        #expect(election.failures == 10)
        #expect(election.roundEnded() == .stepDown(retryIn: .zero))
        #expect(election.state == .idle && election.failures == 0)
        guard case .stepDown(let delay) = election.roundFailed(using: &generator) else {
            Issue.record("a failed round must step down")
            return
        }
        #expect(delay <= .milliseconds(200))
    }

    @Test("winning the lock does not forget failures: a slot that is missing fails each round after the win, and is retried slowly")
    func winningDoesNotResetTheBackoff() {
        var election = leadership()
        var generator = SplitMix64(seed: 11)
        var last = Duration.zero
        for _ in 0..<8 {
            _ = election.connected()
            #expect(election.lockAnswered(won: true) == .lead)
            guard case .stepDown(let delay) = election.roundFailed(using: &generator) else {
                Issue.record("a failed round must step down")
                return
            }
            last = delay
        }
        #expect(last >= .milliseconds(200) * (1 << 7) / 2)
    }

    @Test("a leader whose round ends steps down at once and stands as a candidate again in the next round")
    func leaderStepsDown() {
        var election = leadership()
        _ = election.connected()
        _ = election.lockAnswered(won: true)
        #expect(election.roundEnded() == .stepDown(retryIn: .zero))
        #expect(!election.isCapturer)
        #expect(election.connected() == .askForLock)
        #expect(election.state == .candidate)
    }
}
