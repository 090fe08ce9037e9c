import Logging
import NIOCore
package import PostgresNIO
package import TidingsCore

extension ChangeLog {
    /// Events with `after < id <= through` in id order, at most `limit` and at most `maxBytes` of
    /// data (always at least one event), with the retention watermark read in the same snapshot:
    /// a stream's replay.
    package func page(after: Int64, through: Int64 = .max, limit: Int, maxBytes: Int = maxPageBytes) async throws -> ChangeLogPage {
        let (client, logger) = (client, logger)
        return try await Self.page(after: after, through: through, limit: limit, maxBytes: maxBytes) {
            try await client.query($0, logger: logger)
        }
    }

    /// ``page(after:through:limit:maxBytes:)`` on a connection of the caller's: the change feed's.
    package static func page(
        after: Int64,
        through: Int64 = .max,
        limit: Int,
        maxBytes: Int = maxPageBytes,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> ChangeLogPage {
        try await page(after: after, through: through, limit: limit, maxBytes: maxBytes) {
            try await connection.query($0, logger: logger)
        }
    }

    /// Events after `after` with a topic key among `keys` (all events when `keys` is `nil`), at
    /// most `limit`, in id order: the candidates of a topic-filtered read (``TopicKeys``), which
    /// the caller's grant then filters (`/changes`).
    package func candidates(after: Int64, keys: [String]?, limit: Int) async throws -> [Change] {
        let rows = try await client.query(Self.candidatesQuery(after: after, keys: keys, limit: limit), logger: logger)
        return try await Self.decodeCandidates(rows)
    }

    /// ``candidates(after:keys:limit:)`` on a connection of the caller's.
    package static func candidates(
        after: Int64,
        keys: [String]?,
        limit: Int,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [Change] {
        try await decodeCandidates(connection.query(candidatesQuery(after: after, keys: keys, limit: limit), logger: logger))
    }

    /// The largest id in the log, 0 when it is empty: where a fresh feed starts.
    package static func lastID(on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        var last: Int64 = 0
        for try await id in try await connection.query("SELECT coalesce(max(id), 0)::int8 FROM tidings.changes", logger: logger)
            .decode(Int64.self)
        {
            last = id
        }
        return last
    }

    /// The change-log id a `/rows` snapshot is consistent with: the one statement of `/rows` that
    /// reads the log.
    ///
    /// It runs in the same `REPEATABLE READ` transaction as the rows, so both come from one snapshot.
    /// The id is the largest one that snapshot sees (or the retention watermark, once everything
    /// older was pruned). Streaming from it, after all pages are loaded, leaves the client's copy
    /// equal to its slice of the table:
    ///
    /// - **Triggers mode.** Ids are drawn at commit under a transaction-level advisory lock that is
    ///   released only after the commit is visible (`Migrations/0001_change_log.sql`). A snapshot
    ///   that sees id C therefore sees every transaction with a smaller id, and every transaction it
    ///   does not see draws a larger id (it takes the lock after, or holds it while, the snapshot
    ///   is taken). So the rows reflect exactly the events up to C: none after C is in them, none
    ///   up to C is missing. A later page has its own snapshot and a larger cursor; events between
    ///   the first page's cursor and a later page's come again on the stream and are applied again
    ///   in order, which ends in the same state.
    /// - **Logical mode.** The log lags the table: the capturer writes a transaction's events after
    ///   it committed. The snapshot may show rows whose events are not yet logged; they get ids above
    ///   C when they are, so the stream brings them again (already reflected, applied again), and
    ///   none is missed. A logged event's transaction committed before the capturer's write, so a
    ///   snapshot that sees the event sees its rows too.
    package static func snapshotCursor(on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        var cursor: Int64 = 0
        let rows = try await connection.query(
            """
            SELECT greatest(coalesce((SELECT max(id) FROM tidings.changes), 0), (SELECT pruned_through FROM tidings.retention_state()))::int8
            """,
            logger: logger
        )
        for try await id in rows.decode(Int64.self) { cursor = id }
        return cursor
    }
}

extension ChangeLog {
    private static func page(
        after: Int64,
        through: Int64,
        limit: Int,
        maxBytes: Int,
        query: (PostgresQuery) async throws -> PostgresRowSequence
    ) async throws -> ChangeLogPage {
        let rows = try await query(pageQuery(after: after, through: through, limit: limit, maxBytes: maxBytes))
        return try await decodePage(rows, limit: limit, maxBytes: maxBytes)
    }

    /// One row of NULL event columns when there is no event, so the watermark always comes back.
    static func pageQuery(after: Int64, through: Int64, limit: Int, maxBytes: Int) -> PostgresQuery {
        """
        SELECT r.pruned_through, c.id, c.topics, c.event, c.data, c.at, c.op, c.old_topics, c.moved
        FROM tidings.retention AS r
        LEFT JOIN LATERAL (
            SELECT s.*, sum(octet_length(s.data)) OVER (ORDER BY s.id) - octet_length(s.data) AS before
            FROM (
                SELECT id, topics, event, data::text AS data, extract(epoch FROM at)::float8 AS at, op, old_topics,
                    moved::text AS moved
                FROM tidings.changes WHERE id > \(after) AND id <= \(through) ORDER BY id LIMIT \(limit)
            ) AS s
        ) AS c ON c.before < \(Int64(maxBytes))
        ORDER BY c.id
        """
    }

    private static func decodePage(_ rows: PostgresRowSequence, limit: Int, maxBytes: Int) async throws -> ChangeLogPage {
        var page = ChangeLogPage(changes: [], prunedThrough: 0, isFull: false)
        var bytes = 0
        for try await (prunedThrough, id, topics, event, data, at, op, oldTopics, moved) in rows.decode(
            (Int64, Int64?, [String]?, String?, ByteBuffer?, Double?, String?, [String]?, ByteBuffer?).self
        ) {
            page.prunedThrough = prunedThrough
            guard let id, let topics, let event, let data, let at, let op else { continue }
            bytes += data.readableBytes
            page.changes.append(
                change(id: id, topics: topics, event: event, data: data, at: at, op: op, oldTopics: oldTopics, moved: moved)
            )
        }
        page.isFull = page.changes.count >= limit || bytes >= maxBytes
        return page
    }

    /// Each key contributes at most `limit` ids from one range of `tidings.change_keys`' primary
    /// key, so the read costs keys x limit index entries however large the log is
    /// (`Benchmarks/changes/query_plan.sh` shows the plan).
    static func candidatesQuery(after: Int64, keys: [String]?, limit: Int) -> PostgresQuery {
        guard let keys else {
            return """
                SELECT id, topics, event, data::text, extract(epoch FROM at)::float8, op, old_topics, moved::text
                FROM tidings.changes WHERE id > \(after) ORDER BY id LIMIT \(limit)
                """
        }
        return """
            SELECT c.id, c.topics, c.event, c.data::text, extract(epoch FROM c.at)::float8, c.op, c.old_topics, c.moved::text
            FROM (
                SELECT hit.id FROM unnest(\(keys)::text[]) AS wanted(key)
                CROSS JOIN LATERAL (
                    SELECT k.id FROM tidings.change_keys AS k
                    WHERE k.key = wanted.key AND k.id > \(after) ORDER BY k.id LIMIT \(limit)
                ) AS hit
                GROUP BY hit.id ORDER BY hit.id LIMIT \(limit)
            ) AS page
            JOIN tidings.changes AS c ON c.id = page.id
            ORDER BY c.id
            """
    }

    /// Rows whose topics are invalid are skipped (the log's writers refuse them, so none are expected).
    private static func decodeCandidates(_ rows: PostgresRowSequence) async throws -> [Change] {
        var changes: [Change] = []
        for try await (id, topics, event, data, at, op, oldTopics, moved) in rows.decode(
            (Int64, [String], String, ByteBuffer, Double, String, [String]?, ByteBuffer?).self
        ) {
            changes.append(change(id: id, topics: topics, event: event, data: data, at: at, op: op, oldTopics: oldTopics, moved: moved))
        }
        return changes
    }

    /// One row as a ``Change``.
    private static func change(
        id: Int64,
        topics: [String],
        event: String,
        data: ByteBuffer,
        at: Double,
        op: String,
        oldTopics: [String]?,
        moved: ByteBuffer?
    ) -> Change {
        Change(loggedID: id, topics: topics, event: event, data: data, at: at, op: op, oldTopics: oldTopics, moved: moved)
    }
}
