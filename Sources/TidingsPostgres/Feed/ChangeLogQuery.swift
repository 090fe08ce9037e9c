import NIOCore
import PostgresNIO
import TidingsCore

/// The one query every reader of the log uses: events after an id, in id order.
///
/// The feed's catch-up, a resuming stream's replay and `/changes` all read through it, so they
/// return the same bytes for the same event.
public enum ChangeLogQuery {
    /// Bytes of event data one page of ``page(after:through:limit:)`` holds at most (past its first
    /// event): a run of large events is read in several short reads, not one that times out.
    public static let maxPageBytes = 4 << 20

    /// Events with `after < id <= through` in id order, at most `limit` and at most
    /// ``maxPageBytes`` of data (always at least one event), with the retention watermark read in
    /// the same snapshot: one row of NULL event columns when there is no event.
    public static func page(after: Int64, through: Int64 = .max, limit: Int, maxBytes: Int = maxPageBytes) -> PostgresQuery {
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

    /// Decodes the rows of ``page(after:through:limit:maxBytes:)``.
    public static func decodePage(_ rows: PostgresRowSequence, limit: Int, maxBytes: Int = maxPageBytes) async throws -> ChangeLogPage {
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

    /// Events after `after` with a topic key among `keys` (all events when `keys` is `nil`), at
    /// most `limit`, in id order: the candidates of a topic-filtered read (``TopicKeys``).
    ///
    /// Each key contributes at most `limit` ids from one range of `tidings.change_keys`' primary
    /// key, so the read costs keys x limit index entries however large the log is.
    public static func query(after: Int64, keys: [String]?, limit: Int) -> PostgresQuery {
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

    /// Decodes the rows of ``query(after:keys:limit:)``; rows whose topics are invalid are
    /// skipped (the log's writers refuse them, so none are expected).
    public static func decode(_ rows: PostgresRowSequence) async throws -> [Change] {
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

    /// The largest id in the log, 0 when it is empty: where a fresh feed starts.
    public static let lastID: PostgresQuery = "SELECT coalesce(max(id), 0)::int8 FROM tidings.changes"
}
