import NIOCore
import TidingsCore

/// The statements the logical capturer runs on the log (``CapturerStatement``): the log
/// transaction around its batches, each run of a batch given to `tidings.log_events`, and the
/// position the log is written through.
extension ChangeLog {
    /// Opens the log transaction a batch (or a large transaction's batches) is written in.
    static let capturerBegin = CapturerStatement("BEGIN")
    /// Commits the log transaction, with the position its last batch recorded.
    static let capturerCommit = CapturerStatement("COMMIT")
    /// Rolls back the open log transaction (the slot was not confirmed past it).
    static let capturerRollback = CapturerStatement("ROLLBACK")
    /// The WAL position the log is written through; one row, one column, as text.
    static let capturerWrittenThrough = CapturerStatement("SELECT written_through::text FROM tidings.capture_position")

    /// `tidings.log_events`' columns, as every statement here selects them.
    private static let loggedColumns = "l.previous, l.id, l.topics, l.event, l.data, l.at, l.op, l.old_topics, l.moved"
    /// The commit time, microseconds since 2000-01-01 as pgoutput sends it, as a timestamptz.
    private static let commitTime = "'2000-01-01 00:00:00+00'::timestamptz + c.micros * interval '1 microsecond'"

    /// Records `through` as the position the log is written through, logging nothing.
    static func capturerPosition(through: LSN) -> CapturerStatement {
        CapturerStatement(
            "SELECT \(loggedColumns) FROM tidings.log_events('{}'::tidings.captured_event[], $1::pg_lsn, false) AS l",
            [through.description],
            prepared: true
        )
    }

    /// Logs one table's changed rows in order: each row's text values are cast to the table's row
    /// type and given to its event builder (`builder`, the function its trigger calls), with the
    /// capturer's rights, and what it built goes to `tidings.log_events`. `ops`, `news`, `olds`
    /// and `commitTimes` (microseconds since 2000-01-01) hold one entry per row. With `through`,
    /// also records that position; with `hand`, returns the events as the feed reads them.
    static func capturedRows(
        table: TableName,
        builder: String,
        ops: [String?],
        news: [String?],
        olds: [String?],
        commitTimes: [String?],
        through: LSN?,
        hand: Bool
    ) -> CapturerStatement {
        let qualified = SQLText.qualified(table)
        // The builder's row arguments are of the table's type: anyelement resolves to it.
        return CapturerStatement(
            """
            SELECT \(loggedColumns) FROM tidings.log_events(ARRAY(
                SELECT ROW(b.topics, b.old_topics, $5::text || c.op, $4::text, c.op,
                    coalesce(b.payload, '{}'::jsonb) || jsonb_build_object('table', $4::text, 'op', c.op),
                    b.moved_old, CASE WHEN cardinality(b.problems) > 0 THEN b.problems END,
                    \(commitTime), NULL)::tidings.captured_event
                FROM unnest($1::text[], $2::text[], $3::text[], $6::int8[])
                        WITH ORDINALITY AS c(op, new_text, old_text, micros, position),
                    LATERAL \(EventBuilder.qualified(builder))(c.op, c.old_text::\(qualified), c.new_text::\(qualified)) AS b
                ORDER BY c.position
            ), $7::pg_lsn, $8::boolean) AS l
            """,
            [
                PostgresLiteral.array(ops), PostgresLiteral.array(news), PostgresLiteral.array(olds), table.description,
                table.eventPrefix + ".", PostgresLiteral.array(commitTimes),
            ] + tail(through: through, hand: hand),
            prepared: true
        )
    }

    /// Logs TRUNCATEs of captured tables in order, with the selectors `migrate` recorded for each
    /// table's TRUNCATE event (`tidings.captures`). One entry per TRUNCATE in each array.
    static func capturedTruncates(
        tables: [String?],
        prefixes: [String?],
        commitTimes: [String?],
        through: LSN?,
        hand: Bool
    ) -> CapturerStatement {
        CapturerStatement(
            """
            SELECT \(loggedColumns) FROM tidings.log_events(ARRAY(
                SELECT ROW(k.truncate_topics, NULL, c.prefix || '.truncate', c.tbl, 'truncate',
                    jsonb_build_object('table', c.tbl, 'op', 'truncate'), NULL, NULL, \(commitTime), NULL
                )::tidings.captured_event
                FROM unnest($1::text[], $2::text[], $3::int8[]) WITH ORDINALITY AS c(tbl, prefix, micros, position)
                JOIN tidings.captures AS k ON k.table_name = c.tbl
                ORDER BY c.position
            ), $4::pg_lsn, $5::boolean) AS l
            """,
            [PostgresLiteral.array(tables), PostgresLiteral.array(prefixes), PostgresLiteral.array(commitTimes)]
                + tail(through: through, hand: hand),
            prepared: true
        )
    }

    /// Logs publishes in order: `contents` as `tidings.publish()` signed them (a wrong tag is left
    /// out by `tidings.verified_publishes`), `lsns` the messages' positions.
    static func capturedPublishes(
        contents: [String?],
        commitTimes: [String?],
        lsns: [String?],
        through: LSN?,
        hand: Bool
    ) -> CapturerStatement {
        CapturerStatement(
            """
            SELECT \(loggedColumns) FROM tidings.log_events(ARRAY(
                SELECT ROW(ARRAY(SELECT jsonb_array_elements_text(v.body -> 'topics')), NULL, v.body ->> 'event', NULL,
                    'publish', jsonb_build_object('event', v.body -> 'event', 'data', v.body -> 'data'), NULL, NULL,
                    \(commitTime), c.lsn
                )::tidings.captured_event
                FROM tidings.verified_publishes($1::text[]) AS v
                JOIN unnest($2::int8[], $3::pg_lsn[]) WITH ORDINALITY AS c(micros, lsn, position) ON c.position = v.ordinal
                ORDER BY v.ordinal
            ), $4::pg_lsn, $5::boolean) AS l
            """,
            [PostgresLiteral.array(contents), PostgresLiteral.array(commitTimes), PostgresLiteral.array(lsns)]
                + tail(through: through, hand: hand),
            prepared: true
        )
    }

    /// Counts changes that are not logged as capture problems of their tables.
    static func capturedProblems(
        tables: [String?],
        problems: [String?],
        through: LSN?,
        hand: Bool
    ) -> CapturerStatement {
        CapturerStatement(
            """
            SELECT \(loggedColumns) FROM tidings.log_events(ARRAY(
                SELECT ROW('{}'::text[], NULL, NULL, c.tbl, NULL, NULL, NULL, ARRAY[c.problem], NULL, NULL)::tidings.captured_event
                FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS c(tbl, problem, position)
                ORDER BY c.position
            ), $3::pg_lsn, $4::boolean) AS l
            """,
            [PostgresLiteral.array(tables), PostgresLiteral.array(problems)] + tail(through: through, hand: hand),
            prepared: true
        )
    }

    /// The largest id logged before a row of the statements above: its first column.
    static func capturedPrevious(_ row: [String?]) -> Int64? {
        row.first.flatMap { $0 }.flatMap { Int64($0) }
    }

    /// One row of the statements above with the event (`hand`), as the feed reads it.
    static func capturedChange(_ row: [String?]) -> Change? {
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

    private static func tail(through: LSN?, hand: Bool) -> [String?] {
        [through?.description, hand ? "t" : "f"]
    }
}
