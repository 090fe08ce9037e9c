import Logging
import PostgresNIO

/// Where the log stands against retention: what a resume must be told before it continues.
public struct RetentionState: Sendable, Equatable {
    /// The largest id ever pruned; 0 when nothing was.
    public var prunedThrough: Int64
    /// The smallest retained id (the next id to be drawn when the log is empty).
    public var oldest: Int64

    public init(prunedThrough: Int64, oldest: Int64) {
        self.prunedThrough = prunedThrough
        self.oldest = oldest
    }

    /// Whether a client that has every event up to `lastID` may have missed a pruned one.
    public func requiresReset(after lastID: Int64) -> Bool {
        prunedThrough > lastID
    }

    /// Reads the state through `tidings.retention_state()`.
    public static func read(from client: PostgresClient, logger: Logger) async throws -> RetentionState {
        let rows = try await client.query("SELECT pruned_through, oldest FROM tidings.retention_state()", logger: logger)
        for try await (prunedThrough, oldest) in rows.decode((Int64, Int64).self) {
            return RetentionState(prunedThrough: prunedThrough, oldest: oldest)
        }
        return RetentionState(prunedThrough: 0, oldest: 1)
    }
}
