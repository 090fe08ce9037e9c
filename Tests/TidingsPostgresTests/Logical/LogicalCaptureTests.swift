import PostgresNIO
import Testing
import TidingsCore
import TidingsPostgres
import TidingsTestSupport

@Suite struct LogicalCaptureTests {
    static let table = """
        CREATE TABLE items (
            id int PRIMARY KEY, owner text, label text, price numeric(10,2), tags text[], doc jsonb,
            seen timestamptz, raw bytea, spot point, flag boolean, big text
        )
        """

    /// A second table captured with `columns:`, `old: key` and a topic on a non-key column.
    static let notes = """
        CREATE TABLE notes (id int PRIMARY KEY, owner text, body text, secret text);
        """

    /// Writes of every kind and awkward values, moves (a row changing topics) and TRUNCATE; run
    /// the same in both modes.
    static let corpus = """
        INSERT INTO items VALUES (1, 'ann', 'quote " and \\ back', 12.50, '{a,"b c",NULL}', '{"k": [1, 2.50, null], "s": "é"}',
            '2026-01-02 03:04:05.678901+00', '\\x00ff', '(1.5,2)', true, NULL);
        INSERT INTO items (id, owner, label) VALUES (2, 'bob', E'line\\nbreak\\ttab'), (3, 'a/b%c', '');
        UPDATE items SET label = 'moved', owner = 'cid' WHERE id = 1;
        UPDATE items SET price = price * 2 WHERE id IN (1, 2);
        UPDATE items SET owner = NULL WHERE id = 2;
        DELETE FROM items WHERE id = 3;
        BEGIN; INSERT INTO items (id, owner) VALUES (4, 'dee'); SELECT tidings.publish(ARRAY['news/1'], 'note', '{"n": 1}'); COMMIT;
        INSERT INTO notes VALUES (1, 'ann', 'hello', 's1'), (2, 'bob', 'hi', 's2');
        UPDATE notes SET owner = 'bob', body = 'moved' WHERE id = 1;
        UPDATE notes SET secret = 's3' WHERE id = 2;
        UPDATE notes SET id = 20 WHERE id = 2;
        DELETE FROM notes WHERE id = 1;
        TRUNCATE items;
        INSERT INTO notes VALUES (5, 'eve', 'x', 'y');
        BEGIN; UPDATE items SET owner = 'x'; TRUNCATE notes; COMMIT;
        """

    static func captures() throws -> [TableCapture] {
        [try TestSupport.capture("items", ["items/{id}", "owners/{owner}/items"], old: .full)]
    }

    static func parityCaptures() throws -> [TableCapture] {
        try captures() + [try TestSupport.capture("notes", ["owners/{owner}/notes"], columns: ["id", "owner", "body"], old: .key)]
    }

    @Test(
        "the same writes log the same data in triggers and logical mode, apart from at: rows, moves, TRUNCATE, publish",
        .timeLimit(.minutes(3))
    )
    func sameDataAsTriggers() async throws {
        let query = """
            SELECT event || ' ' || array_to_string(topics, ',') || ' ' || coalesce(array_to_string(old_topics, ','), '-')
                || ' ' || (data - 'at')::text || ' ' || coalesce((moved - 'at')::text, '-')
            FROM tidings.changes ORDER BY id
            """
        let setup = Self.table + ";\n" + Self.notes
        let triggers = try await TestSupport.migratedDatabase("logical_same_t", setup: setup, tables: try Self.parityCaptures())
        let expected = try await TestSupport.withConnection(triggers) { connection in
            try await TestSupport.execute(Self.corpus, on: connection)
            return try await TestSupport.texts(query, on: connection)
        }
        let logical = try await LogicalHarness.make("logical_same_l", setup: setup, tables: try Self.parityCaptures())
        let logged = try await logical.withCapturer { _ in
            try await TestSupport.withConnection(logical.url) { try await TestSupport.execute(Self.corpus, on: $0) }
            try await logical.waitForEvents(expected.count)
            return try await TestSupport.withConnection(logical.url) { try await TestSupport.texts(query, on: $0) }
        }
        #expect(expected.count == 19)
        #expect(expected.filter { $0.contains(#""moved": true"#) }.count == 3)
        #expect(expected.filter { $0.hasPrefix("items.truncate") || $0.hasPrefix("notes.truncate") }.count == 2)
        #expect(logged == expected)
    }

    @Test("a transaction that writes first but commits last gets the larger id", .timeLimit(.minutes(3)))
    func commitOrder() async throws {
        let harness = try await LogicalHarness.make("logical_order", setup: Self.table, tables: try Self.captures())
        let ids = try await harness.withCapturer { _ in
            try await TestSupport.withConnection(harness.url) { first in
                try await TestSupport.withConnection(harness.url) { second in
                    try await TestSupport.execute("BEGIN; INSERT INTO items (id, owner) VALUES (1, 'early')", on: first)
                    try await TestSupport.execute("INSERT INTO items (id, owner) VALUES (2, 'late')", on: second)
                    try await TestSupport.execute("COMMIT", on: first)
                }
            }
            try await harness.waitForEvents(2)
            return try await TestSupport.withConnection(harness.url) {
                try await TestSupport.texts("SELECT data->'new'->>'owner' FROM tidings.changes ORDER BY id", on: $0)
            }
        }
        #expect(ids == ["late", "early"])
    }

    @Test("a rolled-back transaction leaves nothing in the log", .timeLimit(.minutes(3)))
    func rollback() async throws {
        let harness = try await LogicalHarness.make("logical_rollback", setup: Self.table, tables: try Self.captures())
        let owners = try await harness.withCapturer { _ in
            try await TestSupport.withConnection(harness.url) { connection in
                try await TestSupport.execute(
                    """
                    BEGIN; INSERT INTO items (id, owner) VALUES (1, 'gone'); SELECT tidings.publish(ARRAY['x/1'], 'gone', '{}'); ROLLBACK;
                    INSERT INTO items (id, owner) VALUES (2, 'kept');
                    """,
                    on: connection
                )
            }
            try await harness.waitForEvents(1)
            return try await TestSupport.withConnection(harness.url) {
                try await TestSupport.texts("SELECT coalesce(data->'new'->>'owner', event) FROM tidings.changes ORDER BY id", on: $0)
            }
        }
        #expect(owners == ["kept"])
    }

    @Test("an unchanged 100 KB TOASTed column still appears in an update's new row", .timeLimit(.minutes(3)))
    func unchangedToast() async throws {
        let capture = try TestSupport.capture("items", ["items/{id}"])
        let harness = try await LogicalHarness.make("logical_toast", setup: Self.table, tables: [capture])
        let (length, same) = try await harness.withCapturer { _ in
            try await TestSupport.withConnection(harness.url) { connection in
                // Random hex does not compress, so it is stored out of line.
                try await TestSupport.execute(
                    """
                    INSERT INTO items (id, big) SELECT 1, string_agg(md5(random()::text), '') FROM generate_series(1, 3200);
                    UPDATE items SET label = 'touched' WHERE id = 1;
                    """,
                    on: connection
                )
            }
            try await harness.waitForEvents(2)
            return try await TestSupport.withConnection(harness.url) { connection in
                let length = try await TestSupport.text(
                    "SELECT length(data->'new'->>'big')::text FROM tidings.changes WHERE op = 'update'",
                    on: connection
                )
                let same = try await TestSupport.text(
                    "SELECT (c.data->'new'->>'big' = i.big)::text FROM tidings.changes AS c, items AS i WHERE c.op = 'update'",
                    on: connection
                )
                return (length, same)
            }
        }
        #expect(length == "102400")
        #expect(same == "true")
    }

    @Test("publish inside a transaction is logged after that transaction's rows; a forged message is not", .timeLimit(.minutes(3)))
    func publishInTransaction() async throws {
        let harness = try await LogicalHarness.make("logical_publish", setup: Self.table, tables: try Self.captures())
        let events = try await harness.withCapturer { _ in
            try await TestSupport.withConnection(harness.url) { connection in
                try await TestSupport.execute(
                    """
                    SELECT pg_logical_emit_message(true, 'tidings', 'forged' || E'\\n' || '{"topics":["x/1"],"event":"forged","data":{}}');
                    BEGIN; INSERT INTO items (id, owner) VALUES (1, 'ann'); SELECT tidings.publish(ARRAY['news/1'], 'note', '{"n": 1}'); COMMIT;
                    """,
                    on: connection
                )
            }
            try await harness.waitForEvents(2)
            return try await TestSupport.withConnection(harness.url) {
                try await TestSupport.texts("SELECT event || ' ' || (data - 'at')::text FROM tidings.changes ORDER BY id", on: $0)
            }
        }
        #expect(events.count == 2)
        #expect(events.last == #"note {"id": 2, "data": {"n": 1}, "event": "note", "topics": ["news/1"]}"#)
    }
}
