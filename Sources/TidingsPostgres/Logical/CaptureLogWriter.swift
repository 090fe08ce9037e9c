import TidingsCore

/// Writes decoded changes into `tidings.changes`, in the order they were committed, a batch per
/// statement: first each run of one table's rows through its builder (PostgreSQL converts the
/// values and renders the event), then the whole batch through `tidings.log_captured`, which
/// numbers the events, records the position written through and wakes the gateways once.
///
/// A batch that ends inside a transaction is written without a position and the log transaction
/// stays open, so a transaction of any size is never held in memory whole and still reaches the
/// log atomically. Not `Sendable`: it lives on the capturer's thread with its connection.
final class CaptureLogWriter {
    /// One change waiting to be written.
    enum Pending {
        case row(table: TableName, builder: String, op: String, new: String?, old: String?, commitTime: Int64)
        /// `lsn`: the message's, which names the publish until it is logged (`tidings.published`).
        case publish(body: String, commitTime: Int64, lsn: LSN)
    }

    private let connection: LibPQConnection
    private(set) var pending: [Pending] = []
    private var inTransaction = false

    init(connection: LibPQConnection) {
        self.connection = connection
    }

    var count: Int { pending.count }

    func append(_ change: Pending) { pending.append(change) }

    /// Writes what is pending. With `through`, also records that position and commits the log
    /// transaction; without, the transaction stays open for the rest of a large transaction.
    /// - Returns: the number of events written.
    @discardableResult
    func flush(through: LSN?) throws(LogicalCaptureError) -> Int {
        if pending.isEmpty && through == nil { return 0 }
        if !inTransaction {
            try connection.execute("BEGIN")
            inTransaction = true
        }
        var topics: [String?] = []
        var events: [String?] = []
        var tables: [String?] = []
        var ops: [String?] = []
        var payloads: [String?] = []
        var times: [String?] = []
        var sources: [String?] = []
        var start = 0
        while start < pending.count {
            var end = start + 1
            while end < pending.count, Self.sameRun(pending[start], pending[end]) { end += 1 }
            let rows = try build(pending[start..<end])
            for row in rows {
                guard let ordinal = row[0].flatMap({ Int($0) }), ordinal >= 1, ordinal <= end - start else { continue }
                let change = pending[start + ordinal - 1]
                topics.append(row[1])
                events.append(row[2])
                payloads.append(row[3])
                switch change {
                case .row(let table, _, let op, _, _, let time):
                    tables.append(table.description)
                    ops.append(op)
                    times.append(String(time))
                    sources.append(nil)
                case .publish(_, let time, let lsn):
                    tables.append(nil)
                    ops.append("publish")
                    times.append(String(time))
                    sources.append(lsn.description)
                }
            }
            start = end
        }
        var logged = 0
        if !topics.isEmpty || through != nil {
            let rows = try connection.execute(
                """
                SELECT tidings.log_captured($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                    ARRAY(SELECT '2000-01-01 00:00:00+00'::timestamptz + t.micros * interval '1 microsecond'
                        FROM unnest($6::int8[]) WITH ORDINALITY AS t(micros, position) ORDER BY t.position),
                    $7::pg_lsn[], $8::pg_lsn)
                """,
                [
                    PostgresLiteral.array(topics), PostgresLiteral.array(events), PostgresLiteral.array(tables),
                    PostgresLiteral.array(ops), PostgresLiteral.array(payloads), PostgresLiteral.array(times),
                    PostgresLiteral.array(sources), through?.description,
                ]
            )
            logged = rows.first?.first.flatMap { $0.flatMap { Int($0) } } ?? 0
        }
        pending.removeAll(keepingCapacity: true)
        if through != nil {
            try connection.execute("COMMIT")
            inTransaction = false
        }
        return logged
    }

    /// Drops what is pending and rolls the open log transaction back (the slot was not confirmed
    /// past it, so it will be read again).
    func abandon() {
        pending.removeAll()
        if inTransaction {
            _ = try? connection.execute("ROLLBACK")
            inTransaction = false
        }
    }

    /// Builds one run's events: rows `(ordinal, topic_json, event, payload)`, ordinal counting from 1.
    private func build(_ run: ArraySlice<Pending>) throws(LogicalCaptureError) -> LibPQConnection.Rows {
        switch run.first {
        case .row(_, let builder, _, _, _, _):
            var ops: [String?] = []
            var news: [String?] = []
            var olds: [String?] = []
            for case .row(_, _, let op, let new, let old, _) in run {
                ops.append(op)
                news.append(new)
                olds.append(old)
            }
            return try connection.execute(
                """
                SELECT c.position, b.topic_json, b.event, b.payload
                FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS c(op, new_text, old_text, position),
                    LATERAL \(CaptureFunction.qualifiedFunction(builder))(c.op, c.new_text, c.old_text) AS b
                ORDER BY c.position
                """,
                [PostgresLiteral.array(ops), PostgresLiteral.array(news), PostgresLiteral.array(olds)]
            )
        case .publish:
            var bodies: [String?] = []
            for case .publish(let body, _, _) in run { bodies.append(body) }
            return try connection.execute(
                """
                SELECT c.position, (j.body -> 'topics')::text, j.body ->> 'event',
                    jsonb_build_object('event', j.body -> 'event', 'data', j.body -> 'data')::text
                FROM unnest($1::text[]) WITH ORDINALITY AS c(body, position), LATERAL (SELECT c.body::jsonb AS body) AS j
                ORDER BY c.position
                """,
                [PostgresLiteral.array(bodies)]
            )
        case nil:
            return []
        }
    }

    private static func sameRun(_ first: Pending, _ next: Pending) -> Bool {
        switch (first, next) {
        case (.row(_, let a, _, _, _, _), .row(_, let b, _, _, _, _)): a == b
        case (.publish, .publish): true
        default: false
        }
    }
}
