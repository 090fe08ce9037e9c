import Synchronization

/// What one connection's wake-ups and its poll timer ask of the feed's reader.
///
/// Both ask for a read of the log. The reader takes everything at once, so a burst of wake-ups
/// costs one read, and a reader that falls behind costs no memory.
final class FeedInbox: Sendable {
    /// What the reader takes in one go.
    struct Work {
        /// A wake-up came: read the log after the cursor.
        var readLog = false
        /// The poll timer fired: read the log after the cursor.
        var pollDue = false

        var isEmpty: Bool { !readLog && !pollDue }
    }

    private struct State {
        var work = Work()
        var waiter: CheckedContinuation<Void, Never>?
        var cancelled = false
    }

    private let state = Mutex(State())

    init() {}

    /// A wake-up came: the reader must read the log.
    func requestRead() {
        wake { $0.readLog = true }
    }

    /// The poll timer fired: the reader must read the log.
    func requestPoll() {
        wake { $0.pollDue = true }
    }

    private func wake(_ add: (inout Work) -> Void) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            add(&state.work)
            return state.waiter.take()
        }
        waiter?.resume()
    }

    /// Waits for work and takes all of it. Throws `CancellationError` once the calling task is cancelled.
    func next() async throws -> Work {
        while true {
            try Task.checkCancellation()
            if let work = take() { return work }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state -> Bool in
                        if state.cancelled || !state.work.isEmpty { return true }
                        state.waiter = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                    state.cancelled = true
                    return state.waiter.take()
                }
                waiter?.resume()
            }
        }
    }

    private func take() -> Work? {
        state.withLock { state -> Work? in
            guard !state.work.isEmpty else { return nil }
            defer { state.work = Work() }
            return state.work
        }
    }
}
