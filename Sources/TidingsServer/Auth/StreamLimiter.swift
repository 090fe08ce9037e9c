import Crypto
import Foundation
import Synchronization

/// Counts the open `/events` streams of each token (`auth.max_streams_per_token`), so one leaked
/// or shared token cannot hold an unbounded number of streams.
///
/// Tokens are counted by their SHA-256 digest: the limiter never holds a token, so nothing it
/// keeps can leak one. Each stream takes a ``Slot`` before it starts and gives it back when it
/// ends; a slot is released exactly once, by ``Slot/release()`` or, should a response never be
/// written, when the slot is deallocated.
final class StreamLimiter: Sendable {
    /// Streams allowed per token; 0 means no limit.
    let limit: Int
    private let open = Mutex<[SHA256Digest: Int]>([:])

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes a place for one more stream of `token`; `nil` when there is no limit or no token.
    /// - Throws: a 429 ``APIError`` when the token already holds `limit` open streams.
    func acquire(token: String?) throws(APIError) -> Slot? {
        guard limit > 0, let token else { return nil }
        let key = SHA256.hash(data: Data(token.utf8))
        let limit = self.limit
        let taken = open.withLock { counts -> Bool in
            let current = counts[key, default: 0]
            guard current < limit else { return false }
            counts[key] = current + 1
            return true
        }
        guard taken else { throw .tooManyStreams(limit: limit) }
        return Slot(limiter: self, key: key)
    }

    private func release(_ key: SHA256Digest) {
        open.withLock { counts in
            let remaining = counts[key, default: 0] - 1
            counts[key] = remaining > 0 ? remaining : nil
        }
    }

    /// One open stream's place in its token's count.
    final class Slot: Sendable {
        private let limiter: StreamLimiter
        private let key: SHA256Digest
        private let released = Atomic(false)

        fileprivate init(limiter: StreamLimiter, key: SHA256Digest) {
            self.limiter = limiter
            self.key = key
        }

        /// Gives the place back; later calls do nothing.
        func release() {
            guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
            limiter.release(key)
        }

        deinit { release() }
    }
}
