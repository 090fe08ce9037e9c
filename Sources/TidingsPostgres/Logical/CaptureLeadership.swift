/// Whether this gateway is the logical capturer, as a value: a candidate asking for the
/// capturer's lock, the leader reading the slot, or backing off after a failed round.
///
/// ``LogicalCapturer``'s thread tells it what happened and does what it returns, so the election
/// (when to ask for the lock again, when to take over, how long to wait after a failure, when the
/// gateway reports itself as the capturer) is testable without a database or a clock. Stopping
/// is not a state: the thread checks its ``CaptureStopSignal`` before every action.
package struct CaptureLeadership: Sendable {
    /// Where the gateway stands in the election.
    package enum State: Sendable, Equatable {
        /// Between rounds: no log connection.
        case idle
        /// Connected; asking for the capturer's lock.
        case candidate
        /// Holds the lock: reads the slot and writes the log.
        case leader
        /// A round failed: waiting before the next.
        case backingOff
    }

    /// What the capturer's thread does next.
    package enum Action: Sendable, Equatable {
        /// Ask PostgreSQL for the capturer's lock (`pg_try_advisory_lock`) on the log connection.
        case askForLock
        /// Report this gateway as the capturer, then read where the log stands and stream the slot.
        case lead
        /// Wait this long as a candidate, then report ``CaptureLeadership/waited()``.
        case wait(Duration)
        /// Report this gateway as not the capturer; start the next round after this long.
        case stepDown(retryIn: Duration)
    }

    package private(set) var state: State = .idle
    /// How long a candidate waits before asking for the lock again; the leader's lock frees the
    /// moment its session ends, so this bounds how long a takeover takes.
    package let electionInterval: Duration
    private var backoff: Backoff

    package init(electionInterval: Duration, backoff: Backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(30))) {
        self.electionInterval = electionInterval
        self.backoff = backoff
    }

    /// Whether this gateway reports itself as the capturer.
    package var isCapturer: Bool { state == .leader }

    /// The round's log connection is up: stand as a candidate.
    package mutating func connected() -> Action {
        state = .candidate
        return .askForLock
    }

    /// PostgreSQL answered the request for the lock: take over, or ask again after the interval.
    package mutating func lockAnswered(won: Bool) -> Action {
        precondition(state == .candidate, "only a candidate asks for the capturer's lock")
        guard won else { return .wait(electionInterval) }
        state = .leader
        return .lead
    }

    /// A candidate's wait is over: ask again.
    package mutating func waited() -> Action {
        precondition(state == .candidate, "only a candidate waits for the capturer's lock")
        return .askForLock
    }

    /// The round ended without an error (it was stopped): the failures so far are forgotten, and
    /// a next round may start at once.
    package mutating func roundEnded() -> Action {
        backoff.reset()
        state = .idle
        return .stepDown(retryIn: .zero)
    }

    /// The round failed (connection lost, slot missing, `wal_level` not logical, a write refused):
    /// step down and back off, capped, so a lasting fault is retried slowly, never in a crash loop.
    /// Only a round that ends cleanly forgets the failures: a slot that is missing fails each
    /// round right after the lock is won.
    package mutating func roundFailed<Generator: RandomNumberGenerator>(using generator: inout Generator) -> Action {
        state = .backingOff
        return .stepDown(retryIn: backoff.next(using: &generator))
    }

    /// Failures since a round last ended cleanly.
    package var failures: Int { backoff.failures }
}
