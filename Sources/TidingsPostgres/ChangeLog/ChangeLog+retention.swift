import PostgresNIO

extension ChangeLog {
    /// Where the log stands against retention, read through `tidings.retention_state()`: what a
    /// resume must be told before it continues.
    public func retentionState() async throws -> RetentionState {
        let rows = try await client.query(
            """
            SELECT s.pruned_through, s.oldest, greatest(s.pruned_through, (SELECT coalesce(max(id), 0) FROM tidings.changes))
            FROM tidings.retention_state() AS s
            """,
            logger: logger
        )
        for try await (prunedThrough, oldest, head) in rows.decode((Int64, Int64, Int64).self) {
            return RetentionState(prunedThrough: prunedThrough, oldest: oldest, head: head)
        }
        return RetentionState(prunedThrough: 0, oldest: 1, head: 0)
    }

    /// Deletes at most `batch` events older than `maxAge` or beyond the newest `maxEvents`, in one
    /// short transaction of `tidings.prune()` (which takes an advisory lock, so gateways never
    /// prune at once, and raises the retention watermark); returns how many went.
    public func prune(maxAge: Duration, maxEvents: Int, batch: Int) async throws -> Int {
        let age = "\(maxAge.components.seconds) seconds"
        let rows = try await client.query(
            "SELECT tidings.prune(\(age)::interval, \(Int64(maxEvents)), \(Int32(batch)))",
            logger: logger
        )
        var deleted = 0
        for try await count in rows.decode(Int32.self) { deleted = Int(count) }
        return deleted
    }
}
