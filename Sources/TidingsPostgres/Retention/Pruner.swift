import Logging
import ServiceLifecycle
import TidingsCore

/// Deletes events past `retention.max_age` or beyond `retention.max_events`, every
/// `retention.interval`, in small batches.
///
/// Each batch is one short transaction (``ChangeLog/prune(maxAge:maxEvents:batch:)``) under an
/// advisory lock, so several gateways on one database never prune at once and writers are never
/// held up for long. It raises the retention watermark that resumes are checked against.
public struct Pruner: Service {
    let log: ChangeLog
    let settings: RetentionSettings
    let logger: Logger
    var batchSize = 1000
    /// Called with the number of events each pass removed (the metrics count them).
    var onPruned: @Sendable (Int) -> Void = { _ in }

    public init(log: ChangeLog, settings: RetentionSettings, logger: Logger, onPruned: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.log = log
        self.settings = settings
        self.logger = logger
        self.onPruned = onPruned
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: settings.interval) }
            } catch {
                return
            }
            do {
                let pruned = try await pruneOnce()
                if pruned > 0 { logger.info("retention pruned events", metadata: ["count": "\(pruned)"]) }
            } catch {
                logger.warning("retention pass failed; retrying next interval", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }

    /// Prunes batch after batch until one removes nothing; returns how many events went.
    public func pruneOnce() async throws -> Int {
        var total = 0
        while !Task.isCancelled {
            let deleted = try await log.prune(maxAge: settings.maxAge, maxEvents: settings.maxEvents, batch: batchSize)
            guard deleted > 0 else { break }
            total += deleted
            onPruned(deleted)
        }
        return total
    }
}
