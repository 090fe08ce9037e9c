import NIOCore
import Synchronization

/// The hub's sink for a `/changes?wait=` poll: the first frame the hub queues for the poll's
/// grant wakes it, and so does the end of the subscription (the gateway shuts down).
final class ChangesWake: StreamSink {
    private struct State {
        /// What woke the poll before it waited: true for a frame, false for the end.
        var pending: Bool?
        var waiter: CheckedContinuation<Bool, Never>?
        var ended = false
    }

    let eventLoop: any EventLoop
    private let state = Mutex(State())

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func drain() { wake(true) }

    func tick() {}

    func end(_ reason: Subscriber.Ending) {
        state.withLock { $0.ended = true }
        wake(false)
    }

    private func wake(_ value: Bool) {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard let waiter = state.waiter.take() else {
                if state.pending != false { state.pending = value }
                return nil
            }
            return waiter
        }
        waiter?.resume(returning: value)
    }

    /// Waits for the next wake: true when a frame was queued for `subscriber` (whose queue it
    /// then empties, so the next frame wakes it again), false when the subscription ended or the
    /// calling task was cancelled.
    func next(_ subscriber: Subscriber) async -> Bool {
        let woken = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let now = state.withLock { state -> Bool? in
                    if state.ended { return false }
                    if let pending = state.pending.take() { return pending }
                    state.waiter = continuation
                    return nil
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            wake(false)
        }
        if woken { _ = subscriber.take() }
        return woken
    }
}
