import TidingsCore

/// The change feed's state as a value: where it is in its cycle (connecting, catching up, live,
/// backing off), its cursor, which connection attempt may still deliver, and when that attempt
/// last made progress.
///
/// ``ChangeFeed`` tells it what happened and does what it returns, so every decision (when to
/// report ready, where to resume, how long to wait before reconnecting, when a connection is
/// taken for dead, whether a late read may still reach the sink, which server session to end) is
/// testable without a database or a clock: times are passed in.
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

    /// What to do with a read that came back.
    public enum Delivery: Sendable, Equatable {
        /// Hand it to the sink: the cursor has moved past it.
        case deliver
        /// Drop it and end the attempt: it was given up on, and a newer one reads in its place.
        case discard
    }

    /// What to do with a page of the log that came back.
    public enum Page: Sendable, Equatable {
        /// Hand the page's events but the first `skip` to the sink (the cursor has moved past
        /// them), first telling it `tidings.reset` when `reset` is set; read again after
        /// `readAgainAfter` unless it is nil. The skipped events are at or below the cursor: they
        /// reached the sink another way while the page was read.
        case deliver(reset: Reset?, skip: Int, readAgainAfter: Int64?)
        /// Drop it and end the attempt: it was given up on, and a newer one reads in its place.
        case discard
    }

    /// Retention pruned events the feed had not read: what the sink is told before what follows.
    public struct Reset: Sendable, Equatable {
        /// The cursor before the gap.
        public var after: Int64
        /// The smallest id still in the log (the next one to be drawn when none is).
        public var oldest: Int64

        public init(after: Int64, oldest: Int64) {
            self.after = after
            self.oldest = oldest
        }
    }

    /// What the poll timer of a connection does when it fires.
    public enum Poll: Sendable, Equatable {
        /// Read the log after the cursor (and the notification queue's usage).
        case read
        /// A read has not answered within the query timeout: the connection is dead, drop it.
        case dropConnection
    }

    /// What the watchdog of an attempt does when it fires.
    public enum Watchdog: Sendable, Equatable {
        /// The attempt made progress recently: look again later.
        case keepWatching
        /// No progress within the stall limit (a socket that died silently can leave a read, a
        /// LISTEN or a connect waiting forever): give up on the attempt without waiting for it.
        case abandon
    }

    /// What to do after an attempt ended.
    public struct Reconnect: Sendable, Equatable {
        /// The server process of the lost connection, to end from a connection of its own (a
        /// LISTENer that reads nothing pins PostgreSQL's notification queue); `nil` when unknown.
        public var terminate: Int32?
        /// How long to wait before the next attempt.
        public var delay: Duration
    }

    public private(set) var state: State = .connecting
    public private(set) var cursor: Int64?
    public private(set) var reconnects = 0
    /// The attempt (connection) whose reads may reach the sink; 0 before the first.
    public private(set) var attempt = 0
    private var backoff: Backoff
    /// A read that takes longer is taken for a dead connection (a half-open socket answers nothing).
    public let queryTimeout: Duration
    /// An attempt that neither connected nor finished a read for this long is given up on.
    public let stallLimit: Duration
    /// When the current attempt last connected or finished a read.
    private var lastProgress: ContinuousClock.Instant?
    /// When the current attempt's read in flight began; `nil` between reads.
    private var readStartedAt: ContinuousClock.Instant?
    /// The server process of the current attempt's connection.
    private var sessionPID: Int32?

    public init(
        cursor: Int64? = nil,
        backoff: Backoff = Backoff(),
        queryTimeout: Duration = .seconds(10),
        stallLimit: Duration = .seconds(15)
    ) {
        self.cursor = cursor
        self.backoff = backoff
        self.queryTimeout = queryTimeout
        self.stallLimit = stallLimit
    }

    /// A new connection attempt begins at `now`: returns its number, which every later report of
    /// it carries. Reads of earlier attempts are discarded from here on.
    public mutating func attemptStarted(at now: ContinuousClock.Instant) -> Int {
        attempt += 1
        state = .connecting
        lastProgress = now
        readStartedAt = nil
        sessionPID = nil
        return attempt
    }

    /// The attempt's connection is up; `pid` is its server process, once known.
    public mutating func connected(attempt: Int, pid: Int32? = nil, at now: ContinuousClock.Instant) {
        guard attempt == self.attempt else { return }
        lastProgress = now
        if let pid { sessionPID = pid }
    }

    /// LISTEN is in place: nothing committed from now on can be missed, so read the gap.
    public mutating func listening() -> CatchUp {
        state = .catchingUp
        readStartedAt = nil
        return cursor.map(CatchUp.after) ?? .findEnd
    }

    /// The attempt sends a read of the log at `now`.
    public mutating func readStarted(attempt: Int, at now: ContinuousClock.Instant) {
        guard attempt == self.attempt else { return }
        readStartedAt = now
    }

    /// A read of the attempt came back with events up to `lastID` (`nil`: none): whether the
    /// feed hands them over, having moved its cursor to `lastID`.
    public mutating func read(through lastID: Int64?, attempt: Int, at now: ContinuousClock.Instant) -> Delivery {
        guard attempt == self.attempt else { return .discard }
        readStartedAt = nil
        lastProgress = now
        if let lastID { advanced(to: lastID) }
        return .deliver
    }

    /// A page read after the cursor came back: whether to hand it over, whether the sink must
    /// reset first (retention pruned past the cursor), and whether more follows at once.
    public mutating func pageRead(_ page: ChangeLogPage, attempt: Int, at now: ContinuousClock.Instant) -> Page {
        guard attempt == self.attempt else { return .discard }
        readStartedAt = nil
        lastProgress = now
        let position = cursor ?? 0
        var reset: Reset?
        if page.missedPruned(after: position) {
            reset = Reset(after: position, oldest: page.changes.first?.id ?? page.prunedThrough + 1)
            advanced(to: page.prunedThrough)
        }
        guard let last = page.changes.last else { return .deliver(reset: reset, skip: 0, readAgainAfter: nil) }
        let handed = cursor ?? .min
        let skip = page.changes.prefix { $0.id <= handed }.count
        if last.id > handed { advanced(to: last.id) }
        return .deliver(reset: reset, skip: skip, readAgainAfter: page.isFull ? last.id : nil)
    }

    /// Events this gateway has just written to the log itself (the logical capturer's batch),
    /// which followed id `previous` in the log: whether they may reach the sink without a read.
    ///
    /// - Returns: how many of the first `changes` to skip (the cursor passed them: a read
    ///   brought them first), having moved the cursor past the rest; `nil` when nothing is
    ///   handed over: the feed has no cursor yet, there is a gap between the cursor and
    ///   `previous` (a read fills it, and brings these too), or all of them were read already.
    public mutating func wrote(after previous: Int64, _ changes: [Change]) -> Int? {
        guard let handed = cursor, previous <= handed, let last = changes.last, last.id > handed else { return nil }
        let skip = changes.prefix { $0.id <= handed }.count
        advanced(to: last.id)
        return skip
    }

    /// Events up to `id` were handed to the sink (or, after pruning, can no longer be).
    public mutating func advanced(to id: Int64) {
        precondition(cursor.map { id >= $0 } ?? true, "the change feed never moves backwards")
        cursor = id
    }

    /// The log was read to its end: the feed is ready.
    public mutating func caughtUp() {
        state = .live
        backoff.reset()
    }

    /// The poll timer of `attempt`'s connection fired at `now`.
    public func pollDue(attempt: Int, at now: ContinuousClock.Instant) -> Poll {
        guard attempt == self.attempt, let started = readStartedAt, now - started > queryTimeout else { return .read }
        return .dropConnection
    }

    /// The watchdog of `attempt` fired at `now`.
    public func watchdogDue(attempt: Int, at now: ContinuousClock.Instant) -> Watchdog {
        guard attempt == self.attempt, let lastProgress else { return .abandon }
        return now - lastProgress > stallLimit ? .abandon : .keepWatching
    }

    /// The connection failed, was lost or was given up on: what to clean up and how long to wait.
    public mutating func connectionLost<Generator: RandomNumberGenerator>(using generator: inout Generator) -> Reconnect {
        if state != .connecting || backoff.failures == 0 { reconnects += 1 }
        state = .backingOff
        readStartedAt = nil
        defer { sessionPID = nil }
        return Reconnect(terminate: sessionPID, delay: backoff.next(using: &generator))
    }

    /// The wait is over: try again.
    public mutating func reconnecting() { state = .connecting }

    /// Whether `/readyz` may answer 200.
    public var isReady: Bool { state == .live }
}
