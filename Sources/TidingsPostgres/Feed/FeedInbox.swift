import Synchronization
import TidingsCore

/// What one connection's wake-ups ask of the feed's reader, kept in the order they came.
///
/// A wake-up that carries its event (``CarriedChange``) leaves the change; one that carries
/// none, and the poll timer, ask for a read of the log. The reader takes everything at once, so a
/// burst of wake-ups costs one read. At most `limit` changes wait: past that they are dropped for
/// a read of the log, which holds them all, so a reader that falls behind costs no memory.
final class FeedInbox: Sendable {
    /// What the reader takes in one go.
    struct Work {
        /// Carried changes, in the order their wake-ups came (which is id order).
        var changes: [Change] = []
        /// A wake-up came without a change, or changes were dropped: read the log after the cursor.
        var readLog = false
        /// The poll timer fired: read the log after the cursor.
        var pollDue = false

        var isEmpty: Bool { changes.isEmpty && !readLog && !pollDue }
    }

    private struct State {
        var work = Work()
        var waiter: CheckedContinuation<Void, Never>?
        var cancelled = false
    }

    private let limit: Int
    private let state = Mutex(State())

    init(limit: Int = 10_000) {
        self.limit = limit
    }

    /// A wake-up brought `change`.
    func carry(_ change: Change) {
        wake {
            if $0.changes.count >= limit {
                $0.changes.removeAll()
                $0.readLog = true
            } else {
                $0.changes.append(change)
            }
        }
    }

    /// A wake-up came without a change: the reader must read the log.
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
