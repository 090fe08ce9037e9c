import NIOCore
import TidingsCore

/// Writes decoded changes into `tidings.changes`, in the order they were committed, one
/// statement per run of a batch (one table's rows, TRUNCATEs, publishes, problems): the statement
/// calls each row's event builder, the same function its trigger would call (PostgreSQL rebuilds
/// the row of the table's type from the WAL's text values, converts them and renders topics,
/// `new`, `old`, moves and problems), and passes what it built, typed, to `tidings.log_events`,
/// which numbers the events, gives them the `data` `tidings.log_change` would, records the
/// position written through and wakes the gateways. Each statement is prepared once per
/// connection.
///
/// A batch that ends inside a transaction is written without a position and the log transaction
/// stays open, so a transaction of any size is never held in memory whole and still reaches the
/// log atomically. A log transaction written by one flush is returned as ``Flushed/captured`` once
/// committed, for this gateway's own feed; a larger one is left for the feeds to read. Not
/// `Sendable`: it lives on the capturer's thread with its connection.
final class CaptureLogWriter {
    /// One change waiting to be written.
    enum Pending {
        case row(table: TableName, builder: String, op: String, new: String?, old: String?, commitTime: Int64)
        case truncate(table: TableName, commitTime: Int64)
        /// `content`: the message as `tidings.publish()` signed it; `lsn`: the message's, which
        /// names the publish until it is logged (`tidings.published`).
        case publish(content: String, commitTime: Int64, lsn: LSN)
        /// A change that is not logged, only counted as a capture problem of its table.
        case problem(table: TableName, problem: String)
    }

    /// What one ``flush(through:)`` wrote.
    struct Flushed {
        /// Events written into the log.
        var logged = 0
        /// The committed events, when the flush committed a log transaction it wrote alone.
        var captured: CapturedEvents?
    }

    /// `tidings.log_events`' columns, as every statement here selects them.
    private static let columns = "l.previous, l.id, l.topics, l.event, l.data, l.at, l.op, l.old_topics, l.moved"
    /// The commit time, microseconds since 2000-01-01 as pgoutput sends it, as a timestamptz.
    private static let commitTime = "'2000-01-01 00:00:00+00'::timestamptz + c.micros * interval '1 microsecond'"

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
    @discardableResult
    func flush(through: LSN?) throws(LogicalCaptureError) -> Flushed {
        if pending.isEmpty && through == nil { return Flushed() }
        // Only a log transaction that one flush writes and commits is handed over: its events
        // are bounded by the batch size.
        let hand = through != nil && !inTransaction
        if !inTransaction {
            try connection.execute("BEGIN")
            inTransaction = true
        }
        var runs: [ArraySlice<Pending>] = []
        var start = 0
        while start < pending.count {
            var end = start + 1
            while end < pending.count, Self.sameRun(pending[start], pending[end]) { end += 1 }
            runs.append(pending[start..<end])
            start = end
        }
        var flushed = Flushed()
        var previous: Int64?
        var changes: [Change] = []
        if runs.isEmpty, let through {
            try connection.execute(
                prepared: "SELECT \(Self.columns) FROM tidings.log_events('{}'::tidings.captured_event[], $1::pg_lsn, false) AS l",
                [through.description]
            )
        }
        for (index, run) in runs.enumerated() {
            let rows = try write(run, through: index == runs.count - 1 ? through : nil, hand: hand)
            flushed.logged += rows.count
            guard hand else { continue }
            if previous == nil, let first = rows.first { previous = first[0].flatMap { Int64($0) } }
            changes += rows.compactMap(Self.change)
        }
        pending.removeAll(keepingCapacity: true)
        if through != nil {
            try connection.execute("COMMIT")
            inTransaction = false
            if hand, let previous { flushed.captured = CapturedEvents(previous: previous, changes: changes) }
        }
        return flushed
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

    /// Builds and logs one run's events, in the run's order (a publish whose tag is wrong is left
    /// out); returns `tidings.log_events`' rows.
    private func write(_ run: ArraySlice<Pending>, through: LSN?, hand: Bool) throws(LogicalCaptureError) -> LibPQConnection.Rows {
        let tail = [through?.description, hand ? "t" : "f"]
        switch run.first {
        case .row(let table, let builder, _, _, _, _):
            var ops: [String?] = []
            var news: [String?] = []
            var olds: [String?] = []
            var times: [String?] = []
            for case .row(_, _, let op, let new, let old, let time) in run {
                ops.append(op)
                news.append(new)
                olds.append(old)
                times.append(String(time))
            }
            let qualified = SQLText.qualified(table)
            // The builder's row arguments are of the table's type: anyelement resolves to it.
            return try connection.execute(
                prepared: """
                    SELECT \(Self.columns) FROM tidings.log_events(ARRAY(
                        SELECT ROW(b.topics, b.old_topics, $5::text || c.op, $4::text, c.op,
                            coalesce(b.payload, '{}'::jsonb) || jsonb_build_object('table', $4::text, 'op', c.op),
                            b.moved_old, CASE WHEN cardinality(b.problems) > 0 THEN b.problems END,
                            \(Self.commitTime), NULL)::tidings.captured_event
                        FROM unnest($1::text[], $2::text[], $3::text[], $6::int8[])
                                WITH ORDINALITY AS c(op, new_text, old_text, micros, position),
                            LATERAL \(EventBuilder.qualified(builder))(c.op, c.old_text::\(qualified), c.new_text::\(qualified)) AS b
                        ORDER BY c.position
                    ), $7::pg_lsn, $8::boolean) AS l
                    """,
                [
                    PostgresLiteral.array(ops), PostgresLiteral.array(news), PostgresLiteral.array(olds), table.description,
                    table.eventPrefix + ".", PostgresLiteral.array(times),
                ] + tail
            )
        case .truncate:
            var tables: [String?] = []
            var prefixes: [String?] = []
            var times: [String?] = []
            for case .truncate(let table, let time) in run {
                tables.append(table.description)
                prefixes.append(table.eventPrefix)
                times.append(String(time))
            }
            // The selectors `migrate` recorded for the table's TRUNCATE event (tidings.captures).
            return try connection.execute(
                prepared: """
                    SELECT \(Self.columns) FROM tidings.log_events(ARRAY(
                        SELECT ROW(k.truncate_topics, NULL, c.prefix || '.truncate', c.tbl, 'truncate',
                            jsonb_build_object('table', c.tbl, 'op', 'truncate'), NULL, NULL, \(Self.commitTime), NULL
                        )::tidings.captured_event
                        FROM unnest($1::text[], $2::text[], $3::int8[]) WITH ORDINALITY AS c(tbl, prefix, micros, position)
                        JOIN tidings.captures AS k ON k.table_name = c.tbl
                        ORDER BY c.position
                    ), $4::pg_lsn, $5::boolean) AS l
                    """,
                [PostgresLiteral.array(tables), PostgresLiteral.array(prefixes), PostgresLiteral.array(times)] + tail
            )
        case .publish:
            var contents: [String?] = []
            var times: [String?] = []
            var lsns: [String?] = []
            for case .publish(let content, let time, let lsn) in run {
                contents.append(content)
                times.append(String(time))
                lsns.append(lsn.description)
            }
            return try connection.execute(
                prepared: """
                    SELECT \(Self.columns) FROM tidings.log_events(ARRAY(
                        SELECT ROW(ARRAY(SELECT jsonb_array_elements_text(v.body -> 'topics')), NULL, v.body ->> 'event', NULL,
                            'publish', jsonb_build_object('event', v.body -> 'event', 'data', v.body -> 'data'), NULL, NULL,
                            \(Self.commitTime), c.lsn
                        )::tidings.captured_event
                        FROM tidings.verified_publishes($1::text[]) AS v
                        JOIN unnest($2::int8[], $3::pg_lsn[]) WITH ORDINALITY AS c(micros, lsn, position) ON c.position = v.ordinal
                        ORDER BY v.ordinal
                    ), $4::pg_lsn, $5::boolean) AS l
                    """,
                [PostgresLiteral.array(contents), PostgresLiteral.array(times), PostgresLiteral.array(lsns)] + tail
            )
        case .problem:
            var tables: [String?] = []
            var problems: [String?] = []
            for case .problem(let table, let problem) in run {
                tables.append(table.description)
                problems.append(problem)
            }
            return try connection.execute(
                prepared: """
                    SELECT \(Self.columns) FROM tidings.log_events(ARRAY(
                        SELECT ROW('{}'::text[], NULL, NULL, c.tbl, NULL, NULL, NULL, ARRAY[c.problem], NULL, NULL)::tidings.captured_event
                        FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS c(tbl, problem, position)
                        ORDER BY c.position
                    ), $3::pg_lsn, $4::boolean) AS l
                    """,
                [PostgresLiteral.array(tables), PostgresLiteral.array(problems)] + tail
            )
        case nil:
            return []
        }
    }

    /// One row of `tidings.log_events` with the event (`hand`), as the feed reads it.
    private static func change(_ row: [String?]) -> Change? {
        guard row.count == 9, let id = row[1].flatMap({ Int64($0) }), let topics = row[2], let event = row[3],
            let data = row[4], let at = row[5].flatMap({ Double($0) }), let op = row[6]
        else { return nil }
        return Change(
            loggedID: id,
            topics: PostgresArrayText.parse(topics).compactMap { $0 },
            event: event,
            data: ByteBuffer(string: data),
            at: at,
            op: op,
            oldTopics: row[7].map { PostgresArrayText.parse($0).compactMap { $0 } },
            moved: row[8].map { ByteBuffer(string: $0) }
        )
    }

    private static func sameRun(_ first: Pending, _ next: Pending) -> Bool {
        switch (first, next) {
        case (.row(let a, _, _, _, _, _), .row(let b, _, _, _, _, _)): a == b
        case (.truncate, .truncate), (.publish, .publish), (.problem, .problem): true
        default: false
        }
    }
}
