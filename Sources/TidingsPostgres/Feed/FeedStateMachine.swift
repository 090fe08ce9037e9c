/// The listener's life cycle as a value: connecting, catching up, live, backing off.
///
/// ``ChangeFeed`` drives it with what happened and does what it returns, so the transitions
/// (when to report ready, how long to wait before reconnecting, where to resume) are testable
/// without a database.
public struct FeedStateMachine: Sendable {
    /// Where the feed is in its cycle.
    public enum State: Sendable, Equatable {
        case connecting
        case catchingUp
        case live
        case backingOff
    }

    /// What to read once LISTEN is acknowledged.
    public enum CatchUp: Sendable, Equatable {
        /// No cursor yet: find the end of the log and start there.
        case findEnd
        /// Read everything after this id.
        case after(Int64)
    }

    public private(set) var state: State = .connecting
    public private(set) var cursor: Int64?
    public private(set) var reconnects = 0
    private var backoff: Backoff

    public init(cursor: Int64? = nil, backoff: Backoff = Backoff()) {
        self.cursor = cursor
        self.backoff = backoff
    }

    /// LISTEN is in place: nothing committed from now on can be missed, so read the gap.
    public mutating func listening() -> CatchUp {
        state = .catchingUp
        return cursor.map(CatchUp.after) ?? .findEnd
    }

    /// Events up to `id` were handed to the sink.
    public mutating func advanced(to id: Int64) {
        precondition(cursor.map { id >= $0 } ?? true, "the change feed never moves backwards")
        cursor = id
    }

    /// The log was read to its end: the feed is ready.
    public mutating func caughtUp() {
        state = .live
        backoff.reset()
    }

    /// The connection failed or was lost: how long to wait before the next attempt.
    public mutating func connectionLost<Generator: RandomNumberGenerator>(using generator: inout Generator) -> Duration {
        if state != .connecting || backoff.failures == 0 { reconnects += 1 }
        state = .backingOff
        return backoff.next(using: &generator)
    }

    /// The wait is over: try again.
    public mutating func reconnecting() { state = .connecting }

    /// Whether `/readyz` may answer 200.
    public var isReady: Bool { state == .live }
}
