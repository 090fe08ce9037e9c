import NIOCore
import Synchronization
import TidingsCore

/// One open stream's mailbox: the hub puts shared frames in, the stream takes them out on its
/// event loop.
///
/// The queue is bounded by `capacity`, so a slow client never holds the hub back or grows
/// memory. When it overflows, the queue's logged frames are dropped and the next ``take()``
/// reports the lag: the stream reads what it missed from the change log at its own pace, then
/// takes the queue again, so a burst larger than the buffer costs a fast client nothing.
///
/// The hub asks the stream's ``StreamSink`` to drain at most once per taking: a queue that is
/// not taken (the stream replays, or its socket is full) costs the hub no further wake-ups.
///
/// `@unchecked Sendable`: ``lastQueuedID`` and ``lastLiveSequence`` are read and written only
/// under ``Hub``'s lock; the rest of the state is inside `state`'s `Mutex`.
public final class Subscriber: @unchecked Sendable {
    /// Why a stream ends. Public because ``StreamSink/end(_:)`` takes it.
    public enum Ending: Sendable, Equatable {
        /// Its client stopped reading.
        case cutOff
        /// Its token expired.
        case expired
        /// The gateway is shutting down.
        case shutdown
        /// The client went away or the stream's task was cancelled.
        case closed
    }

    /// What ``take()`` found. Public for the hub benchmarks, whose sink takes its queue.
    public enum Taken: Equatable {
        /// The frames queued since the last take, oldest first.
        case frames([QueuedFrame])
        /// The queue overflowed since the last take: the gap comes from the log first. Frames
        /// queued after the overflow stay queued.
        case lagged
    }

    /// A frame with the id it carries, so a resuming stream can skip what it already sent.
    ///
    /// One object per event, shared by every queue it goes to: a queue holds one reference per
    /// frame, not the two buffers' references, and a queued frame is a pointer, not 60 bytes.
    ///
    /// Public, opaque, only because ``Taken`` hands frames out to the hub benchmarks.
    public final class QueuedFrame: Sendable, Equatable {
        /// The change-log id; `Int64.min` for a live channel event, which has none.
        let id: Int64
        let bytes: ByteBuffer
        /// A channel event: never in the log, so never skipped as already sent.
        let isLive: Bool
        /// `bytes` framed as one HTTP/1.1 chunk, made once and shared by every HTTP/1.1 stream.
        let chunk: ByteBuffer

        init(id: Int64, bytes: ByteBuffer, isLive: Bool = false) {
            self.id = id
            self.bytes = bytes
            self.isLive = isLive
            self.chunk = HTTPChunk.framing(bytes)
        }

        /// The same frame: frames are shared, never copied.
        public static func == (lhs: QueuedFrame, rhs: QueuedFrame) -> Bool { lhs === rhs }
    }

    private struct State {
        var frames: [QueuedFrame] = []
        var lagged = false
        /// The sink was asked to drain and has not taken the queue since.
        var drainPending = false
        /// The stream is ending: nothing more is queued.
        var closed = false
        /// Weak: the stream owns its sink, the hub only the subscriber.
        weak var sink: (any StreamSink)?
    }

    let id: Int
    let grant: Grant
    let capacity: Int
    /// When the token expires (including leeway); `nil` for streams without a token.
    let expiresAt: ContinuousClock.Instant?
    /// The event loop the sink runs on.
    let eventLoop: any EventLoop
    private let state: Mutex<State>
    /// The id of the last event queued: deduplicates an event matched by several selectors.
    var lastQueuedID: Int64 = .min
    /// The hub's sequence number of the last live event queued, for the same purpose.
    var lastLiveSequence = 0

    init(id: Int, grant: Grant, capacity: Int, expiresAt: ContinuousClock.Instant?, sink: any StreamSink) {
        self.id = id
        self.grant = grant
        self.capacity = capacity
        self.expiresAt = expiresAt
        self.eventLoop = sink.eventLoop
        self.state = Mutex(State(sink: sink))
    }

    /// What ``enqueue(_:)`` did with a frame.
    enum Enqueued: Equatable {
        case queued
        /// The queue overflowed and was dropped; the stream will replay from the log.
        case lagged
        /// The stream is already ending.
        case ignored
    }

    /// Queues a frame, handling overflow as the type's documentation says. Returns what happened,
    /// and whether the caller must run ``drain()`` on ``eventLoop`` (once per call that says so).
    func enqueue(_ frame: QueuedFrame) -> (outcome: Enqueued, needsDrain: Bool) {
        state.withLock { state in
            guard !state.closed else { return (.ignored, false) }
            var outcome = Enqueued.queued
            if state.frames.count >= capacity {
                state.lagged = true
                // Live frames are in no log: they survive the overflow.
                state.frames.removeAll { !$0.isLive }
                outcome = .lagged
                if state.frames.count >= capacity { state.frames.removeFirst(state.frames.count - capacity + 1) }
            }
            state.frames.append(frame)
            defer { state.drainPending = true }
            return (outcome, !state.drainPending)
        }
    }

    /// Takes the queue, or reports a lag (leaving the queue for after the replay). Call on
    /// ``eventLoop``.
    ///
    /// Public so that the hub benchmarks' sink can empty its queue as a stream does.
    public func take() -> Taken {
        state.withLock { state in
            state.drainPending = false
            if state.lagged {
                state.lagged = false
                return .lagged
            }
            var frames: [QueuedFrame] = []
            swap(&frames, &state.frames)
            return .frames(frames)
        }
    }

    /// Stops queueing: the stream is ending.
    func close() {
        state.withLock { state in
            state.closed = true
            state.frames = []
        }
    }

    private var sink: (any StreamSink)? { state.withLock { $0.sink } }

    /// Runs the sink's ``StreamSink/drain()``. Call on ``eventLoop``.
    func drain() { sink?.drain() }

    /// Runs the sink's ``StreamSink/tick()``. Call on ``eventLoop``.
    func tick() { sink?.tick() }

    /// Ends the stream; the first reason given wins. Call from anywhere.
    func end(_ reason: Ending) {
        close()
        sink?.end(reason)
    }
}
