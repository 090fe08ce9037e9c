import NIOCore
import PostgresNIO
import TidingsCore

/// The one query every reader of the log uses: events after an id, in id order.
///
/// The feed's catch-up, a resuming stream's replay and `/changes` all read through it, so they
/// return the same bytes for the same event.
public enum ChangeLogQuery {
    /// Events with `after < id <= through`, at most `limit`, in id order.
    public static func query(after: Int64, through: Int64 = .max, limit: Int) -> PostgresQuery {
        """
        SELECT id, topics, event, data::text, extract(epoch FROM at)::float8
        FROM tidings.changes WHERE id > \(after) AND id <= \(through) ORDER BY id LIMIT \(limit)
        """
    }

    /// Events after `after` with a topic key among `keys` (all events when `keys` is `nil`), at
    /// most `limit`, in id order: the candidates of a topic-filtered read (``TopicKeys``).
    ///
    /// Each key contributes at most `limit` ids from one range of `tidings.change_keys`' primary
    /// key, so the read costs keys x limit index entries however large the log is.
    public static func query(after: Int64, keys: [String]?, limit: Int) -> PostgresQuery {
        guard let keys else { return query(after: after, limit: limit) }
        return """
            SELECT c.id, c.topics, c.event, c.data::text, extract(epoch FROM c.at)::float8
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

    /// Decodes the rows of ``query(after:through:limit:)``; rows whose topics are invalid are
    /// skipped (the log's writers refuse them, so none are expected).
    public static func decode(_ rows: PostgresRowSequence) async throws -> [Change] {
        var changes: [Change] = []
        for try await (id, topics, event, data, at) in rows.decode((Int64, [String], String, ByteBuffer, Double).self) {
            let parsed = topics.compactMap { try? Topic(logged: $0) }
            changes.append(Change(id: id, topics: parsed, event: event, data: data, committedAt: at))
        }
        return changes
    }

    /// The largest id in the log, 0 when it is empty: where a fresh feed starts.
    public static let lastID: PostgresQuery = "SELECT coalesce(max(id), 0)::int8 FROM tidings.changes"
}
