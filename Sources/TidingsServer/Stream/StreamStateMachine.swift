import TidingsCore

/// What one `/events` stream does next, as a value: every input (a drain, a tick, the socket's
/// writability, a replay's end, an ending) returns the action to run, and nothing here touches a
/// socket, a task or a lock. ``StreamConnection`` owns it on the channel's event loop and runs
/// the actions.
///
/// A stream is ``State/replaying`` the log after its `Last-Event-ID`, ``State/live`` (frames
/// from the hub's queue are written as they come), ``State/lagging`` (its queue overflowed: the
/// gap is replayed from the log, then it is live again), ``State/ending`` (the expiry event or the
/// end of the response is on its way) or ``State/closed``. Live frames at or below the last logged
/// id written came with a replay and are skipped: no gap, no duplicate.
///
/// A stream whose socket has taken nothing across two heartbeat ticks (the channel stayed
/// unwritable, or a replay write stayed in flight) is not reading: it is cut off. A tick that
/// finds nothing written since the previous one asks for a heartbeat, during a replay too.
struct StreamStateMachine {
    enum State: Equatable {
        case replaying
        case live
        case lagging
        case ending(Subscriber.Ending)
        case closed
    }

    /// A range of the log to write before live frames.
    enum Replay: Equatable {
        /// A resume: check retention after `after`, then replay up to `through` (`nil`: the
        /// feed's start cursor, which the hub did not have yet).
        case resume(after: Int64, through: Int64?)
        /// A lag: replay from `after` (`Int64.min`: from the feed's start cursor) to the hub's
        /// cursor now.
        case gap(after: Int64)
    }

    enum Action: Equatable {
        case none
        /// Run this replay in the stream's task, writing through ``StreamConnection/writeReplay(_:)``.
        case replay(Replay)
        /// Take the subscriber's queue and hand it to ``took(_:)``.
        case takeFrames
        /// Write these frames, then flush.
        case write([Subscriber.QueuedFrame])
        /// Write a heartbeat, then flush.
        case heartbeat
        /// Stop queueing; write what the ending sends, then have the stream's task end the
        /// response.
        case end(Subscriber.Ending)
        /// Stop queueing and close the connection now: the client is gone or not reading.
        case close(Subscriber.Ending)
    }

    private(set) var state: State
    /// The id of the last logged event written (`Int64.min`: none yet).
    private(set) var lastWritten: Int64
    private(set) var isWritable = true
    /// Heartbeat ticks in a row that found the socket taking nothing.
    private var stalledTicks = 0
    /// Replay writes the socket has not taken yet.
    private var replayWritesInFlight = 0
    /// Something was written since the last tick: no heartbeat is needed.
    private var wroteSinceTick = false

    /// A stream registered when the hub's cursor was `cursor`, resuming after `lastEventID`.
    init(resumeAfter lastEventID: Int64?, cursor: Int64?) {
        state = lastEventID == nil ? .live : .replaying
        // Events up to the cursor at registration predate a fresh stream.
        lastWritten = lastEventID ?? cursor ?? .min
    }

    /// The first action, once the stream is registered and its `retry:` written.
    func start(cursor: Int64?) -> Action {
        switch state {
        case .replaying: .replay(.resume(after: lastWritten, through: cursor))
        case .live: .takeFrames
        default: .none
        }
    }

    var isEnded: Bool {
        switch state {
        case .ending, .closed: true
        default: false
        }
    }

    /// The hub queued frames: take them if they can be written now. Otherwise they wait in the
    /// queue (which may overflow into a lag) until the replay ends or the socket takes writes.
    func drain() -> Action {
        state == .live && isWritable ? .takeFrames : .none
    }

    /// What ``Action/takeFrames`` found in the subscriber's queue.
    mutating func took(_ taken: Subscriber.Taken) -> Action {
        guard state == .live else { return .none }
        switch taken {
        case .lagged:
            state = .lagging
            return .replay(.gap(after: lastWritten))
        case .frames(let frames):
            let fresh = Self.unwritten(frames, lastWritten: &lastWritten)
            guard !fresh.isEmpty else { return .none }
            wroteSinceTick = true
            return .write(fresh)
        }
    }

    /// Whether a replay page may be written now: the replay is still wanted.
    var isReplaying: Bool { state == .replaying || state == .lagging }

    /// A replay write went to the socket.
    mutating func replayWriteStarted() {
        replayWritesInFlight += 1
        wroteSinceTick = true
    }

    /// The socket took a replay write.
    mutating func replayWriteCompleted() {
        replayWritesInFlight -= 1
        if replayWritesInFlight == 0 { stalledTicks = 0 }
    }

    /// The replay wrote every event up to `lastWritten`. A reset moves it to where the log
    /// resumes, which may lie below the client's `Last-Event-ID` (the log's ids were rewound).
    mutating func replayFinished(lastWritten written: Int64) -> Action {
        guard isReplaying else { return .none }
        lastWritten = written
        state = .live
        return drain()
    }

    mutating func writabilityChanged(_ writable: Bool) -> Action {
        isWritable = writable
        guard writable else { return .none }
        // The socket took writes: the client is reading.
        stalledTicks = 0
        return drain()
    }

    /// The hub's heartbeat clock ticked.
    mutating func tick() -> Action {
        guard !isEnded else { return .none }
        guard isWritable && replayWritesInFlight == 0 else {
            stalledTicks += 1
            guard stalledTicks >= 2 else { return .none }
            state = .closed
            return .close(.cutOff)
        }
        stalledTicks = 0
        guard !wroteSinceTick else {
            wroteSinceTick = false
            return .none
        }
        return .heartbeat
    }

    /// The stream must end for `reason` (its token expired, the gateway shuts down, the client
    /// left or the stream's task was cancelled). The first ending wins.
    mutating func end(_ reason: Subscriber.Ending) -> Action {
        guard !isEnded else { return .none }
        switch reason {
        case .expired, .shutdown:
            state = .ending(reason)
            return .end(reason)
        case .closed, .cutOff:
            state = .closed
            return .close(reason)
        }
    }

    /// The response has ended.
    mutating func finished() {
        state = .closed
    }

    /// The frames not yet written (logged ids above `lastWritten`, and every live frame), and
    /// `lastWritten` moved past them.
    static func unwritten(_ frames: [Subscriber.QueuedFrame], lastWritten: inout Int64) -> [Subscriber.QueuedFrame] {
        let last = lastWritten
        let fresh = frames.allSatisfy { $0.isLive || $0.id > last } ? frames : frames.filter { $0.isLive || $0.id > last }
        lastWritten = max(last, fresh.last(where: { !$0.isLive })?.id ?? .min)
        return fresh
    }
}
