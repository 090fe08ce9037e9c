/// Capped exponential backoff with full jitter, for reconnecting to PostgreSQL.
///
/// A value type: the caller keeps it, asks ``next()`` after each failure and calls ``reset()``
/// after a success, so the delays are testable without a clock.
package struct Backoff: Sendable {
    package var initial: Duration
    package var maximum: Duration
    private var attempt = 0

    package init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(10)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The delay before the next attempt: a random duration up to `initial · 2^attempt`, capped.
    package mutating func next<Generator: RandomNumberGenerator>(using generator: inout Generator) -> Duration {
        let ceiling = min(maximum, initial * (1 << min(attempt, 20)))
        attempt += 1
        let ceilingNanoseconds = max(1, Int64(ceiling.components.seconds) * 1_000_000_000 + ceiling.components.attoseconds / 1_000_000_000)
        // Half fixed, half random: never zero, so a flapping server is not hammered.
        let half = ceilingNanoseconds / 2
        return .nanoseconds(half + Int64.random(in: 0...half, using: &generator))
    }

    /// The delay before the next attempt, with the system's random numbers.
    package mutating func next() -> Duration {
        var generator = SystemRandomNumberGenerator()
        return next(using: &generator)
    }

    /// Starts over after a successful connection.
    package mutating func reset() { attempt = 0 }

    /// Failures since the last reset.
    package var failures: Int { attempt }
}
