import Logging
import PostgresNIO
import ServiceLifecycle
import TidingsCore

/// Deletes events past `retention.max_age` or beyond `retention.max_events`, every
/// `retention.interval`, in small batches.
///
/// Each batch is one short transaction of `tidings.prune()`, which takes an advisory lock, so
/// several gateways on one database never prune at once and writers are never held up for long.
/// The function raises the retention watermark that resumes are checked against.
public struct Pruner: Service {
    let client: PostgresClient
    let settings: RetentionSettings
    let logger: Logger
    var batchSize = 1000
    /// Called with the number of events each pass removed (the metrics count them).
    var onPruned: @Sendable (Int) -> Void = { _ in }

    public init(client: PostgresClient, settings: RetentionSettings, logger: Logger, onPruned: @escaping @Sendable (Int) -> Void = { _ in })
    {
        self.client = client
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
        let maxAge = "\(settings.maxAge.components.seconds) seconds"
        let maxEvents = Int64(settings.maxEvents)
        let batch = Int32(batchSize)
        var total = 0
        while !Task.isCancelled {
            let rows = try await client.query("SELECT tidings.prune(\(maxAge)::interval, \(maxEvents), \(batch))", logger: logger)
            var deleted = 0
            for try await count in rows.decode(Int32.self) { deleted = Int(count) }
            guard deleted > 0 else { break }
            total += deleted
            onPruned(deleted)
        }
        return total
    }
}
