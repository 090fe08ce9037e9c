import Logging
import PostgresNIO
import TidingsPostgres

/// Publishes at most once per ``IdempotencyKey``: the publish and the key's row commit in one
/// transaction, and the key's primary key makes a concurrent repeat wait for the first one and
/// then roll back (`Migrations/0006_publish_keys.sql`). In `capture.mode: logical` the id is drawn
/// by the capturer after the commit (`Migrations/0007_logical_capture.sql`): the answer waits for it.
enum IdempotentPublish {
    /// What became of the request.
    enum Outcome: Sendable, Equatable {
        /// Published now, with this id (nil in logical mode when the capturer has not numbered it
        /// within ``PublishedID/patience``).
        case published(Int64?)
        /// Published earlier under this key with the same body, with this id (nil when that id
        /// could not be recorded).
        case repeated(Int64?)
        /// The key was used earlier with another body.
        case conflict
    }

    static func run(
        _ publish: PostgresQuery,
        key: IdempotencyKey,
        logical: Bool = false,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Outcome {
        // A key whose event retention pruned between the refusal and the read is free again.
        for _ in 0..<2 {
            if let outcome = try await attempt(publish, key: key, logical: logical, on: connection, logger: logger) { return outcome }
        }
        return try await earlier(key, logical: logical, on: connection, logger: logger) ?? .repeated(nil)
    }

    private static func attempt(
        _ publish: PostgresQuery,
        key: IdempotencyKey,
        logical: Bool,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Outcome? {
        try await connection.perform("BEGIN", logger: logger)
        do {
            try await connection.perform(publish, logger: logger)
            try await connection.perform(
                "INSERT INTO tidings.publish_keys (subject, key, body_hash) VALUES (\(key.scope), \(key.key), \(key.bodyHash))",
                logger: logger
            )
            try await connection.perform("COMMIT", logger: logger)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            try await connection.perform("ROLLBACK", logger: logger)
            return try await earlier(key, logical: logical, on: connection, logger: logger)
        } catch {
            // The first error is the one to report; a ROLLBACK that fails means the connection is gone.
            try? await connection.perform("ROLLBACK", logger: logger)
            throw error
        }
        if logical { return .published(try await PublishedID.await(on: connection, logger: logger)) }
        let rows = try await connection.query("SELECT tidings.last_change_id()", logger: logger)
        for try await id in rows.decode(Int64.self) { return .published(id) }
        throw APIError.unavailable("the publish committed but its id could not be read")
    }

    private static func earlier(
        _ key: IdempotencyKey,
        logical: Bool,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Outcome? {
        let deadline = ContinuousClock.now + PublishedID.patience
        var pause = Duration.milliseconds(2)
        while true {
            let rows = try await connection.query(
                "SELECT body_hash, change_id, published_lsn IS NOT NULL FROM tidings.publish_keys WHERE subject = \(key.scope) AND key = \(key.key)",
                logger: logger
            )
            var found: (hash: String, id: Int64?, pending: Bool)?
            for try await (hash, id, pending) in rows.decode((String, Int64?, Bool).self) { found = (hash, id, pending) }
            guard let found else { return nil }
            guard found.hash == key.bodyHash else { return .conflict }
            // Logical mode: the first publish is committed but the capturer has not numbered it yet.
            guard logical, found.id == nil, found.pending, ContinuousClock.now < deadline else { return .repeated(found.id) }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(50))
        }
    }
}
