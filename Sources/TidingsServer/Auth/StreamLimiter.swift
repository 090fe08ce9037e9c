import Synchronization

/// Counts open `/events` streams and `/changes?wait=` long polls: per verified token
/// (`auth.max_streams_per_token`) and, for requests without a token, per gateway
/// (`limits.max_anonymous_streams`), so one leaked or shared token, or anyone without one,
/// cannot hold an unbounded number of them.
///
/// Tokens are counted by their ``TokenIdentity``: every spelling jwt-kit accepts of one token
/// counts as that token, and the limiter never holds a token. Each stream takes a ``Slot``
/// before it starts and gives it back when it ends; a slot is released exactly once, by
/// ``Slot/release()`` or, should a response never be written, when the slot is deallocated.
final class StreamLimiter: Sendable {
    /// Streams allowed per token; 0 means no limit.
    let limit: Int
    /// Streams allowed without a token, altogether; 0 means no limit.
    let anonymousLimit: Int
    private let open = Mutex<[Key: Int]>([:])

    private enum Key: Hashable, Sendable {
        case token(TokenIdentity)
        case anonymous
    }

    init(limit: Int, anonymousLimit: Int = 0) {
        self.limit = limit
        self.anonymousLimit = anonymousLimit
    }

    /// Takes a place for one more stream of `identity` (`nil`: a request without a token);
    /// `nil` when that kind of stream has no limit.
    /// - Throws: a 429 ``APIError`` when the token, or the anonymous streams together, already
    ///   hold their limit.
    func acquire(identity: TokenIdentity?) throws(APIError) -> Slot? {
        let key: Key = identity.map { .token($0) } ?? .anonymous
        let limit = identity == nil ? anonymousLimit : self.limit
        guard limit > 0 else { return nil }
        let taken = open.withLock { counts -> Bool in
            let current = counts[key, default: 0]
            guard current < limit else { return false }
            counts[key] = current + 1
            return true
        }
        guard taken else {
            throw identity == nil ? .tooManyAnonymousStreams(limit: limit) : .tooManyStreams(limit: limit)
        }
        return Slot(release: { [self] in release(key) })
    }

    private func release(_ key: Key) {
        open.withLock { counts in
            let remaining = counts[key, default: 0] - 1
            counts[key] = remaining > 0 ? remaining : nil
        }
    }

    /// One open stream's place in its count.
    final class Slot: Sendable {
        private let onRelease: @Sendable () -> Void
        private let released = Atomic(false)

        fileprivate init(release: @escaping @Sendable () -> Void) {
            self.onRelease = release
        }

        /// Gives the place back; later calls do nothing.
        func release() {
            guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
            onRelease()
        }

        deinit { release() }
    }
}
