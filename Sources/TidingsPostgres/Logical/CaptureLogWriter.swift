import TidingsCore

/// Writes decoded changes into `tidings.changes`, in the order they were committed, a batch per
/// statement: first each run of one table's rows through that table's event builder, the same
/// function its trigger would call (PostgreSQL rebuilds the row of the table's type from the
/// WAL's text values, converts them and renders topics, `new`, `old`, moves and problems), then
/// the whole batch through `tidings.log_captured`, which numbers the events, gives them the `data`
/// `tidings.log_change` would, records the position written through and wakes the gateways once.
///
/// A batch that ends inside a transaction is written without a position and the log transaction
/// stays open, so a transaction of any size is never held in memory whole and still reaches the
/// log atomically. Not `Sendable`: it lives on the capturer's thread with its connection.
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

    /// One built event, as `tidings.log_captured` takes it.
    private struct Built {
        var topics: String?
        var oldTopics: String?
        var event: String?
        var table: String?
        var op: String?
        var payload: String?
        var movedOld: String?
        var problems: String?
        var commitTime: Int64
        var source: String?
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
        var built: [Built] = []
        built.reserveCapacity(pending.count)
        var start = 0
        while start < pending.count {
            var end = start + 1
            while end < pending.count, Self.sameRun(pending[start], pending[end]) { end += 1 }
            built += try build(pending[start..<end])
            start = end
        }
        var logged = 0
        if !built.isEmpty || through != nil {
            let rows = try connection.execute(
                """
                SELECT tidings.log_captured($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                    $7::text[], $8::text[],
                    ARRAY(SELECT '2000-01-01 00:00:00+00'::timestamptz + t.micros * interval '1 microsecond'
                        FROM unnest($9::int8[]) WITH ORDINALITY AS t(micros, position) ORDER BY t.position),
                    $10::pg_lsn[], $11::pg_lsn)
                """,
                [
                    PostgresLiteral.array(built.map(\.topics)), PostgresLiteral.array(built.map(\.oldTopics)),
                    PostgresLiteral.array(built.map(\.event)), PostgresLiteral.array(built.map(\.table)),
                    PostgresLiteral.array(built.map(\.op)), PostgresLiteral.array(built.map(\.payload)),
                    PostgresLiteral.array(built.map(\.movedOld)), PostgresLiteral.array(built.map(\.problems)),
                    PostgresLiteral.array(built.map { String($0.commitTime) }), PostgresLiteral.array(built.map(\.source)),
                    through?.description,
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

    /// Builds one run's events, in the run's order; a publish whose tag is wrong is left out.
    private func build(_ run: ArraySlice<Pending>) throws(LogicalCaptureError) -> [Built] {
        switch run.first {
        case .row(let table, let builder, _, _, _, _):
            var ops: [String?] = []
            var news: [String?] = []
            var olds: [String?] = []
            var times: [Int64] = []
            for case .row(_, _, let op, let new, let old, let time) in run {
                ops.append(op)
                news.append(new)
                olds.append(old)
                times.append(time)
            }
            let qualified = SQLText.qualified(table)
            // The builder's row arguments are of the table's type: anyelement resolves to it.
            let rows = try connection.execute(
                """
                SELECT c.position, to_jsonb(b.topics)::text, to_jsonb(b.old_topics)::text,
                    (coalesce(b.payload, '{}'::jsonb) || jsonb_build_object('table', $4::text, 'op', c.op))::text,
                    b.moved_old::text, CASE WHEN cardinality(b.problems) > 0 THEN to_jsonb(b.problems)::text END
                FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS c(op, new_text, old_text, position),
                    LATERAL \(EventBuilder.qualified(builder))(c.op, c.old_text::\(qualified), c.new_text::\(qualified)) AS b
                ORDER BY c.position
                """,
                [PostgresLiteral.array(ops), PostgresLiteral.array(news), PostgresLiteral.array(olds), table.description]
            )
            return rows.compactMap { row in
                guard let ordinal = row[0].flatMap({ Int($0) }), ordinal >= 1, ordinal <= ops.count, let op = ops[ordinal - 1] else {
                    return nil
                }
                return Built(
                    topics: row[1],
                    oldTopics: row[2],
                    event: table.eventPrefix + "." + op,
                    table: table.description,
                    op: op,
                    payload: row[3],
                    movedOld: row[4],
                    problems: row[5],
                    commitTime: times[ordinal - 1],
                    source: nil
                )
            }
        case .truncate:
            var tables: [String?] = []
            var times: [Int64] = []
            var prefixes: [String] = []
            for case .truncate(let table, let time) in run {
                tables.append(table.description)
                prefixes.append(table.eventPrefix)
                times.append(time)
            }
            // The selectors `migrate` recorded for the table's TRUNCATE event (tidings.captures).
            let rows = try connection.execute(
                """
                SELECT c.position, to_jsonb(k.truncate_topics)::text
                FROM unnest($1::text[]) WITH ORDINALITY AS c(tbl, position)
                JOIN tidings.captures AS k ON k.table_name = c.tbl
                ORDER BY c.position
                """,
                [PostgresLiteral.array(tables)]
            )
            return rows.compactMap { row in
                guard let ordinal = row[0].flatMap({ Int($0) }), ordinal >= 1, ordinal <= tables.count, let table = tables[ordinal - 1]
                else {
                    return nil
                }
                return Built(
                    topics: row[1],
                    oldTopics: nil,
                    event: prefixes[ordinal - 1] + ".truncate",
                    table: table,
                    op: "truncate",
                    payload: #"{"table": \#(Self.jsonString(table)), "op": "truncate"}"#,
                    movedOld: nil,
                    problems: nil,
                    commitTime: times[ordinal - 1],
                    source: nil
                )
            }
        case .publish:
            var contents: [String?] = []
            var times: [Int64] = []
            var lsns: [LSN] = []
            for case .publish(let content, let time, let lsn) in run {
                contents.append(content)
                times.append(time)
                lsns.append(lsn)
            }
            let rows = try connection.execute(
                """
                SELECT v.ordinal, (v.body -> 'topics')::text, v.body ->> 'event',
                    jsonb_build_object('event', v.body -> 'event', 'data', v.body -> 'data')::text
                FROM tidings.verified_publishes($1::text[]) AS v
                ORDER BY v.ordinal
                """,
                [PostgresLiteral.array(contents)]
            )
            return rows.compactMap { row in
                guard let ordinal = row[0].flatMap({ Int($0) }), ordinal >= 1, ordinal <= contents.count else { return nil }
                return Built(
                    topics: row[1],
                    oldTopics: nil,
                    event: row[2],
                    table: nil,
                    op: "publish",
                    payload: row[3],
                    movedOld: nil,
                    problems: nil,
                    commitTime: times[ordinal - 1],
                    source: lsns[ordinal - 1].description
                )
            }
        case .problem:
            return run.compactMap { change in
                guard case .problem(let table, let problem) = change else { return nil }
                return Built(
                    topics: "[]",
                    oldTopics: nil,
                    event: nil,
                    table: table.description,
                    op: nil,
                    payload: nil,
                    movedOld: nil,
                    problems: "[" + Self.jsonString(problem) + "]",
                    commitTime: 0,
                    source: nil
                )
            }
        case nil:
            return []
        }
    }

    private static func sameRun(_ first: Pending, _ next: Pending) -> Bool {
        switch (first, next) {
        case (.row(let a, _, _, _, _, _), .row(let b, _, _, _, _, _)): a == b
        case (.truncate, .truncate), (.publish, .publish), (.problem, .problem): true
        default: false
        }
    }

    /// `text` as a JSON string.
    private static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
