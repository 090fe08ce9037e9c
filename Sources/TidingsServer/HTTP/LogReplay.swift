import Logging
import NIOCore
import TidingsCore
import TidingsPostgres

/// Reads a resuming stream's gap from the change log and writes the events its grant delivers.
///
/// A stream never fails because PostgreSQL is away (EventSource gives up on errors): a failed
/// read is retried with backoff until it succeeds or the stream ends.
struct LogReplay: Sendable {
    let log: ChangeLog
    var pageSize = 500

    /// Writes the delivered events with `after < id <= through`, in id order. When retention
    /// prunes events of that range before a page reads them, `tidings.reset` comes first and the
    /// replay goes on with what is retained.
    func replay(
        after: Int64,
        through: Int64,
        grant: Grant,
        isCancelled: () -> Bool,
        write: ([ByteBuffer]) async throws -> Void
    ) async throws {
        var cursor = after
        while cursor < through {
            let from = cursor
            let page = try await retrying(isCancelled: isCancelled) {
                try await log.page(after: from, through: through, limit: pageSize)
            }
            var frames: [ByteBuffer] = []
            if page.missedPruned(after: cursor) {
                frames.append(SSEFrame.reset(after: cursor, oldest: page.changes.first?.id ?? page.prunedThrough + 1))
                cursor = min(page.prunedThrough, through)
            }
            frames += page.changes.lazy.compactMap { grant.view(of: $0) }.map { SSEFrame.event(for: $0) }
            if !frames.isEmpty { try await write(frames) }
            guard let last = page.changes.last else { return }
            cursor = last.id
        }
    }

    /// The retention watermark a resume is checked against.
    func retentionState(isCancelled: () -> Bool) async throws -> RetentionState {
        try await retrying(isCancelled: isCancelled) { try await log.retentionState() }
    }

    /// Runs `read` until it succeeds, with backoff; stops when the stream has ended.
    private func retrying<Value>(isCancelled: () -> Bool, _ read: () async throws -> Value) async throws -> Value {
        var backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(5))
        while true {
            do {
                return try await read()
            } catch {
                if isCancelled() || Task.isCancelled { throw CancellationError() }
                let delay = backoff.next()
                log.logger.warning(
                    "log read failed; retrying",
                    metadata: ["error": "\(String(reflecting: error))", "retry_in": "\(delay)"]
                )
                try await Task.sleep(for: delay)
            }
        }
    }
}
