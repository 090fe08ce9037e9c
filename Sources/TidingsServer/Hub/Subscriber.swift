import NIOCore
import Synchronization
import TidingsCore

/// One open stream's mailbox: the hub puts shared frames in, the stream's writer takes them out.
///
/// The queue is bounded by `capacity`: a subscriber that falls that far behind is cut off (its
/// queue dropped, its connection closed) rather than holding the hub back or growing memory.
/// Its client resumes from the last id it received.
///
/// `@unchecked Sendable`: ``lastQueuedID`` is read and written only under ``Hub``'s lock; the
/// rest of the state is inside `state`'s `Mutex`.
final class Subscriber: @unchecked Sendable {
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
        /// Nothing to send for a while: write a heartbeat.
        case heartbeat
        /// End the stream.
        case end(Ending)
    }

    /// A frame with the id it carries, so a resuming writer can skip what it already sent.
    struct QueuedFrame: Sendable {
        var id: Int64
        var bytes: ByteBuffer
    }

    private struct State {
        var frames: [QueuedFrame] = []
        var waiter: CheckedContinuation<Void, Never>?
        var ending: Ending?
        var heartbeatDue = false
    }

    let id: Int
    let grant: Grant
    let capacity: Int
    /// When the token expires (including leeway); `nil` for streams without a token.
    let expiresAt: ContinuousClock.Instant?
    /// Closes the connection when the writer may be stuck on an unread socket.
    private let closeConnection: @Sendable () -> Void
    private let state = Mutex(State())
    /// The id of the last event queued: deduplicates an event matched by several selectors.
    var lastQueuedID: Int64 = .min

    init(
        id: Int,
        grant: Grant,
        capacity: Int,
        expiresAt: ContinuousClock.Instant?,
        closeConnection: @escaping @Sendable () -> Void
    ) {
        self.id = id
        self.grant = grant
        self.capacity = capacity
        self.expiresAt = expiresAt
        self.closeConnection = closeConnection
    }

    /// Queues a frame; returns false when the queue was full and the subscriber is now cut off.
    func enqueue(_ frame: QueuedFrame) -> Bool {
        let (waiter, accepted) = state.withLock { state -> (CheckedContinuation<Void, Never>?, Bool) in
            guard state.ending == nil else { return (nil, true) }
            guard state.frames.count < capacity else {
                state.ending = .cutOff
                state.frames = []
                return (state.waiter.take(), false)
            }
            state.frames.append(frame)
            return (state.waiter.take(), true)
        }
        waiter?.resume()
        if !accepted { closeConnection() }
        return accepted
    }

    /// Asks the writer for a heartbeat if nothing else is queued.
    func heartbeat() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.frames.isEmpty, state.ending == nil else { return nil }
            state.heartbeatDue = true
            return state.waiter.take()
        }
        waiter?.resume()
    }

    /// Ends the stream; the first reason given wins.
    func end(_ reason: Ending) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.ending == nil { state.ending = reason }
            if reason != .expired { state.frames = [] }
            return state.waiter.take()
        }
        waiter?.resume()
    }

    /// Whether the stream has been told to end.
    var hasEnded: Bool { state.withLock { $0.ending != nil } }

    /// Waits for the next thing to write. Cancelling the calling task ends the stream.
    func next() async -> Next {
        while true {
            if let ready = takeReady() { return ready }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state -> Bool in
                        if !state.frames.isEmpty || state.ending != nil || state.heartbeatDue { return true }
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

    private func takeReady() -> Next? {
        state.withLock { state -> Next? in
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
            return nil
        }
    }
}
