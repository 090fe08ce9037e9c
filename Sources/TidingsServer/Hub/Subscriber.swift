import NIOCore
import Synchronization
import TidingsCore

/// One open stream's mailbox: the hub puts shared frames in, the stream's writer takes them out.
///
/// The queue is bounded by `capacity`, so a slow client never holds the hub back or grows
/// memory. When it overflows, the queue is dropped and the writer is told it lagged: it reads
/// what it missed from the change log at its own pace, then drains live frames again, so a
/// burst larger than the buffer costs a fast client nothing. A subscriber whose write has been
/// stuck across two heartbeat ticks is not reading at all: it is cut off and its connection
/// closed; its client resumes from the last id it received.
///
/// While the writer is parked with nothing to do and the channel is writable, live frames skip
/// it: the hub asks the stream's event loop to ``drain()`` them straight into the channel through
/// its ``DirectOutput``. The writer wakes only for what needs it — replay, heartbeats, lag, a socket
/// that stopped taking writes, the end.
///
/// With a direct output the writer does not even park: once it has nothing to do it hands the stream to
/// its event loop (``Next/handedOff``) and its task ends, so an idle stream holds no task. Then
/// ``drain()`` does everything: it writes frames and heartbeats, waits for a socket that stopped
/// taking writes to take them again, asks the ``StreamDriver`` for a writer task when the stream
/// lagged and must replay from the log, and has the driver end the stream.
///
/// `@unchecked Sendable`: ``lastQueuedID`` and ``lastLiveSequence`` are read and written only under ``Hub``'s lock; the
/// rest of the state is inside `state`'s `Mutex`.
public final class Subscriber: @unchecked Sendable {
    /// Why a stream ends.
    enum Ending: Sendable, Equatable {
        /// It fell `capacity` events behind.
        case cutOff
        /// Its token expired.
        case expired
        /// The gateway is shutting down.
        case shutdown
        /// The client went away or the handler was cancelled.
        case closed
    }

    /// What the writer should do next.
    enum Next: Sendable {
        /// Write these frames, oldest first.
        case frames([QueuedFrame])
        /// Frames were dropped: read the gap from the log before writing queued frames.
        case lagged
        /// Nothing to send for a while: write a heartbeat.
        case heartbeat
        /// End the stream.
        case end(Ending)
        /// Nothing to do: the event loop runs the stream from now on; the writer's task ends.
        case handedOff
    }

    /// What the heartbeat clock's ``tick()`` found.
    struct Tick: Equatable {
        /// The stream was stuck on an unread socket and is cut off.
        var cutOff = false
        /// The caller must run ``drain()`` on ``eventLoop``.
        var needsDrain = false
    }

    /// A frame with the id it carries, so a resuming writer can skip what it already sent.
    ///
    /// One object per event, shared by every queue it goes to: a queue holds one reference per
    /// frame, not the two buffers' references, and a queued frame is a pointer, not 60 bytes.
    final class QueuedFrame: Sendable {
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
    }

    private struct State {
        var frames: [QueuedFrame] = []
        var waiter: CheckedContinuation<Void, Never>?
        var ending: Ending?
        var heartbeatDue = false
        var lagged = false
        var writing = false
        /// Heartbeat ticks seen while the current write was in flight.
        var ticksWhileWriting = 0
        /// A ``drain()`` is on its way to the event loop.
        var drainScheduled = false
        /// The id of the last logged event written to the client (`Int64.min`: none yet).
        var lastWritten = Int64.min
        /// Set while the event loop runs the stream (its writer handed it off).
        var driver: (any StreamDriver)?
        /// The driver was told to end the stream.
        var finished = false

        /// Schedules a ``drain()`` unless one is on its way; returns whether the caller must run it.
        mutating func scheduleDrain() -> Bool {
            defer { drainScheduled = true }
            return !drainScheduled
        }
    }

    let id: Int
    let grant: Grant
    let capacity: Int
    /// When the token expires (including leeway); `nil` for streams without a token.
    let expiresAt: ContinuousClock.Instant?
    /// Closes the connection when the writer may be stuck on an unread socket.
    private let closeConnection: @Sendable () -> Void
    /// Where ``drain()`` writes, on the channel's event loop; `nil`: the writer writes everything.
    private let direct: DirectOutput?
    private let state = Mutex(State())
    /// The id of the last event queued: deduplicates an event matched by several selectors.
    var lastQueuedID: Int64 = .min
    /// The hub's sequence number of the last live event queued, for the same purpose.
    var lastLiveSequence = 0

    init(
        id: Int,
        grant: Grant,
        capacity: Int,
        expiresAt: ContinuousClock.Instant?,
        direct: DirectOutput?,
        closeConnection: @escaping @Sendable () -> Void
    ) {
        self.id = id
        self.grant = grant
        self.capacity = capacity
        self.expiresAt = expiresAt
        self.direct = direct
        self.eventLoop = direct?.channel.eventLoop
        self.closeConnection = closeConnection
    }

    /// The event loop ``drain()`` must run on, when the stream has a direct output.
    let eventLoop: (any EventLoop)?

    /// What ``enqueue(_:)`` did with a frame.
    enum Enqueued: Equatable {
        case queued
        /// The queue overflowed and was dropped; the writer will replay from the log.
        case lagged
        /// The stream is already ending.
        case ignored
    }

    /// Queues a frame, handling overflow as the type's documentation says. Returns what happened,
    /// and whether the caller must run ``drain()`` on ``eventLoop`` (once per call that says so).
    func enqueue(_ frame: QueuedFrame) -> (outcome: Enqueued, needsDrain: Bool) {
        let (waiter, outcome, needsDrain) = state.withLock {
            state -> (CheckedContinuation<Void, Never>?, Enqueued, Bool) in
            guard state.ending == nil else { return (nil, .ignored, false) }
            var outcome = Enqueued.queued
            if state.frames.count >= capacity {
                state.lagged = true
                state.frames.removeAll(keepingCapacity: true)
                outcome = .lagged
            }
            state.frames.append(frame)
            if state.driver != nil || (direct != nil && state.waiter != nil && !state.lagged) {
                return (nil, outcome, state.scheduleDrain())
            }
            return (state.waiter.take(), outcome, false)
        }
        waiter?.resume()
        return (outcome, needsDrain)
    }

    /// Writes the queued frames straight to the channel while the writer is parked; when the
    /// channel is not writable, wakes the writer instead, which waits for the socket. Runs on
    /// ``eventLoop``, like the writer, so the two never write at once.
    ///
    /// Once the stream is handed off it does the writer's work: frames and a due heartbeat are
    /// written while the channel is writable (otherwise the channel's writability change drains
    /// again), a lagged stream gets a writer task back for its replay, and an ending goes to the
    /// driver, once.
    func drain() {
        guard let output = direct else { return }
        enum Step {
            case none
            case wake(CheckedContinuation<Void, Never>)
            case write([QueuedFrame], heartbeat: Bool)
            case writeOne(QueuedFrame)
            case resume(any StreamDriver)
            case finish(any StreamDriver, Ending)
        }
        let step = state.withLock { state -> Step in
            state.drainScheduled = false
            if let driver = state.driver {
                if let ending = state.ending {
                    guard !state.finished else { return .none }
                    state.finished = true
                    // The driver holds this subscriber: let go of it once it has the ending.
                    state.driver = nil
                    return .finish(driver, ending)
                }
                if state.lagged {
                    state.driver = nil
                    return .resume(driver)
                }
                guard output.isWritable else { return .none }
                // A due heartbeat is written when no frame is: frames already sent after a replay
                // do not count as traffic.
                let heartbeat = state.heartbeatDue
                state.heartbeatDue = false
                if state.frames.count == 1 {
                    // The usual case: one event since the last drain. The queue keeps its storage.
                    let frame = state.frames[0]
                    state.frames.removeAll(keepingCapacity: true)
                    guard frame.isLive || frame.id > state.lastWritten else { return .write([], heartbeat: heartbeat) }
                    if !frame.isLive { state.lastWritten = frame.id }
                    return .writeOne(frame)
                }
                var frames: [QueuedFrame] = []
                swap(&frames, &state.frames)
                return .write(Self.unwritten(frames, lastWritten: &state.lastWritten), heartbeat: heartbeat)
            }
            guard state.waiter != nil, state.ending == nil, !state.lagged, !state.frames.isEmpty else { return .none }
            guard output.isWritable else { return state.waiter.take().map(Step.wake) ?? .none }
            var frames: [QueuedFrame] = []
            swap(&frames, &state.frames)
            state.heartbeatDue = false
            return .write(Self.unwritten(frames, lastWritten: &state.lastWritten), heartbeat: false)
        }
        switch step {
        case .none: break
        case .wake(let waiter): waiter.resume()
        case .write(let frames, let heartbeat):
            if !frames.isEmpty {
                output.write(frames)
            } else if heartbeat {
                output.writeHeartbeat()
            }
        case .writeOne(let frame): output.write(frame)
        case .resume(let driver): driver.resumeWriter()
        case .finish(let driver, let ending): driver.finish(ending)
        }
    }

    /// The frames not yet written (logged ids above `lastWritten`, and every live frame), and
    /// `lastWritten` moved past them.
    static func unwritten(_ frames: [QueuedFrame], lastWritten: inout Int64) -> [QueuedFrame] {
        let last = lastWritten
        let fresh = frames.allSatisfy { $0.isLive || $0.id > last } ? frames : frames.filter { $0.isLive || $0.id > last }
        lastWritten = max(last, fresh.last(where: { !$0.isLive })?.id ?? .min)
        return fresh
    }

    /// The id of the last logged event written to the client.
    var lastWritten: Int64 {
        get { state.withLock { $0.lastWritten } }
        set { state.withLock { $0.lastWritten = newValue } }
    }

    /// The writer starts writing to the client.
    func beginWrite() {
        state.withLock {
            $0.writing = true
            $0.ticksWhileWriting = 0
        }
    }

    /// The write completed: the client is reading.
    func endWrite() {
        state.withLock { $0.writing = false }
    }

    /// A heartbeat tick: asks an idle writer for a heartbeat, and cuts the subscriber off when
    /// one write has been in flight across two ticks (for a handed-off stream: when its channel
    /// has not taken writes across two ticks).
    func tick() -> Tick {
        // The writer's cut-off closes the connection here; a handed-off stream's drain has its driver do it.
        let (waiter, tick, close) = state.withLock { state -> (CheckedContinuation<Void, Never>?, Tick, Bool) in
            guard state.ending == nil else { return (nil, Tick(), false) }
            if state.driver != nil {
                guard direct?.isWritable ?? true else {
                    state.ticksWhileWriting += 1
                    guard state.ticksWhileWriting >= 2 else { return (nil, Tick(), false) }
                    state.ending = .cutOff
                    state.frames = []
                    return (nil, Tick(cutOff: true, needsDrain: state.scheduleDrain()), false)
                }
                state.ticksWhileWriting = 0
                guard state.frames.isEmpty else { return (nil, Tick(), false) }
                state.heartbeatDue = true
                return (nil, Tick(needsDrain: state.scheduleDrain()), false)
            }
            if state.writing {
                state.ticksWhileWriting += 1
                guard state.ticksWhileWriting >= 2 else { return (nil, Tick(), false) }
                state.ending = .cutOff
                state.frames = []
                return (state.waiter.take(), Tick(cutOff: true), true)
            }
            guard state.frames.isEmpty else { return (nil, Tick(), false) }
            state.heartbeatDue = true
            return (state.waiter.take(), Tick(), false)
        }
        waiter?.resume()
        if close { closeConnection() }
        return tick
    }

    /// Ends the stream; the first reason given wins.
    func end(_ reason: Ending) {
        let (waiter, needsDrain) = state.withLock { state -> (CheckedContinuation<Void, Never>?, Bool) in
            if state.ending == nil { state.ending = reason }
            if reason != .expired { state.frames = [] }
            if state.driver != nil { return (nil, !state.finished && state.scheduleDrain()) }
            return (state.waiter.take(), false)
        }
        waiter?.resume()
        if needsDrain, let eventLoop { eventLoop.execute { self.drain() } }
    }

    /// Whether the stream has been told to end.
    var hasEnded: Bool { state.withLock { $0.ending != nil } }

    /// Waits for the next thing to write. Cancelling the calling task ends the stream.
    /// - Parameter driver: given, and the stream has a ``DirectOutput``, a writer with nothing to
    ///   do hands the stream to its event loop (``Next/handedOff``) instead of waiting.
    func next(handOffTo driver: (any StreamDriver)? = nil) async -> Next {
        let driver = direct == nil ? nil : driver
        while true {
            if let ready = takeReady(handOffTo: driver) { return ready }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state -> Bool in
                        if !state.frames.isEmpty || state.ending != nil || state.heartbeatDue || state.lagged { return true }
                        state.waiter = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                self.end(.closed)
            }
        }
    }

    private func takeReady(handOffTo driver: (any StreamDriver)?) -> Next? {
        state.withLock { state -> Next? in
            if state.ending == nil && state.lagged {
                state.lagged = false
                return .lagged
            }
            if !state.frames.isEmpty {
                var frames: [QueuedFrame] = []
                swap(&frames, &state.frames)
                state.heartbeatDue = false
                return .frames(frames)
            }
            if let ending = state.ending { return .end(ending) }
            if state.heartbeatDue {
                state.heartbeatDue = false
                return .heartbeat
            }
            if let driver {
                state.driver = driver
                state.ticksWhileWriting = 0
                return .handedOff
            }
            return nil
        }
    }
}
