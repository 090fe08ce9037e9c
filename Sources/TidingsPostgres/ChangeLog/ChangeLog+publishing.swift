import Logging
import PostgresNIO

extension ChangeLog {
    /// How long a logical-mode publish waits for the capturer to number it. Past it (a capturer
    /// that died after the publish committed, or one far behind) the publish is still committed
    /// and will be logged in its place once a capturer reads it: its id is then `nil`.
    package static let publishPatience = Duration.seconds(5)

    /// Logs an event that does not start as a row change through `tidings.publish()`, so that it
    /// is ordered and replayable like one, and returns its id (nil: see ``publishPatience``).
    /// - Throws: ``ChangeLogError/Code/captureUnavailable`` in logical mode when no gateway
    ///   streams the slot; nothing is published then.
    ///
    /// - Parameters:
    ///   - topics: already validated topics.
    ///   - envelope: a JSON object whose `data` member is the event's data; PostgreSQL takes it
    ///     out as `jsonb`, so the JSON a client sent is never re-encoded by the gateway.
    package func publish(topics: [String], event: String, envelope: String) async throws -> Int64? {
        let log = self
        return try await client.withConnection { connection in
            try await log.requireCapturer(on: connection)
            // Autocommit: the deferred outbox trigger logs the event as the statement commits.
            try await connection.perform(Self.publishStatement(topics: topics, event: event, envelope: envelope), logger: log.logger)
            return try await log.publishedID(on: connection)
        }
    }

    /// ``publish(topics:event:envelope:)`` at most once per `key`: the publish and the key's row
    /// commit in one transaction, and the key's primary key makes a concurrent repeat wait for
    /// the first one and then roll back (`Migrations/0006_publish_keys.sql`).
    package func publish(topics: [String], event: String, envelope: String, key: PublishKey) async throws -> PublishOutcome {
        let log = self
        let statement = Self.publishStatement(topics: topics, event: event, envelope: envelope)
        return try await client.withConnection { connection in
            try await log.requireCapturer(on: connection)
            // A key whose event retention pruned between the refusal and the read is free again.
            for _ in 0..<2 {
                if let outcome = try await log.publishOnce(statement, key: key, on: connection) { return outcome }
            }
            return try await log.earlier(key, on: connection) ?? .repeated(nil)
        }
    }

    private static func publishStatement(topics: [String], event: String, envelope: String) -> PostgresQuery {
        "SELECT tidings.publish(\(topics), \(event), (\(envelope)::jsonb)->'data')"
    }

    private func publishOnce(_ publish: PostgresQuery, key: PublishKey, on connection: PostgresConnection) async throws -> PublishOutcome? {
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
            return try await earlier(key, on: connection)
        } catch {
            // The first error is the one to report; a ROLLBACK that fails means the connection is gone.
            try? await connection.perform("ROLLBACK", logger: logger)
            throw error
        }
        return .published(try await publishedID(on: connection))
    }

    /// What the first publish under `key` became; nil when no row holds the key.
    private func earlier(_ key: PublishKey, on connection: PostgresConnection) async throws -> PublishOutcome? {
        let deadline = ContinuousClock.now + Self.publishPatience
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
            guard logicalCapture, found.id == nil, found.pending, ContinuousClock.now < deadline else { return .repeated(found.id) }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(50))
        }
    }

    /// Refuses a publish, before anything is written, when no capturer streams the slot (logical
    /// mode): its id could not be given, and the client may retry. Any gateway may be the
    /// capturer, so the slot's own state says whether one is reading it.
    private func requireCapturer(on connection: PostgresConnection) async throws {
        guard let slot = captureSlot else { return }
        let rows = try await connection.query(
            "SELECT coalesce((SELECT active FROM pg_catalog.pg_replication_slots WHERE slot_name = \(slot)), false)",
            logger: logger
        )
        for try await active in rows.decode(Bool.self) where active { return }
        throw ChangeLogError(
            .captureUnavailable,
            "no gateway is capturing changes now (capture.mode: logical, slot \(slot)); nothing was published; try again shortly"
        )
    }

    /// The id of the publish this connection just committed. In logical mode the capturer
    /// numbers it after the commit, so this waits for that, at most ``publishPatience`` (nil past it).
    private func publishedID(on connection: PostgresConnection) async throws -> Int64? {
        guard logicalCapture else {
            let rows = try await connection.query("SELECT tidings.last_change_id()", logger: logger)
            for try await id in rows.decode(Int64.self) { return id }
            throw ChangeLogError(.publishedIDUnread, "the publish committed but its id could not be read")
        }
        let deadline = ContinuousClock.now + Self.publishPatience
        var pause = Duration.milliseconds(2)
        while true {
            let rows = try await connection.query("SELECT tidings.published_id()", logger: logger)
            for try await id in rows.decode(Int64?.self) {
                if let id { return id }
            }
            guard ContinuousClock.now < deadline else { return nil }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(50))
        }
    }
}
