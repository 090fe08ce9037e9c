import PostgresNIO
import Testing
import TidingsCore
import TidingsPostgres
import TidingsTestSupport

/// Attacks on capture by roles that own a table, write one, or merely connect (issue: capture
/// made safe). The migrator is the test cluster's superuser, as it often is in production.
@Suite struct CaptureSecurityTests {
    /// A role name of its own per test: roles are cluster-wide.
    static func role(_ prefix: String) -> String { "\(prefix)_\(UInt32.random(in: 0...UInt32.max))" }

    static func connect<Result: Sendable>(
        _ url: PostgresURL,
        as user: String,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        var url = url
        url.user = user
        url.password = nil
        return try await TestSupport.withConnection(url, body)
    }

    static func isSuperuser(_ role: String, on connection: PostgresConnection) async throws -> String? {
        try await TestSupport.text("SELECT rolsuper::text FROM pg_roles WHERE rolname = '\(role)'", on: connection)
    }

    @Test("a table owner's cast to json runs as the writer, not as the migrator, and the write still commits", .timeLimit(.minutes(1)))
    func hostileCastGainsNothing() async throws {
        let owner = Self.role("owner")
        let writer = Self.role("writer")
        let setup = """
            CREATE ROLE \(owner) LOGIN;
            CREATE ROLE \(writer) LOGIN;
            CREATE SCHEMA shop AUTHORIZATION \(owner);
            GRANT USAGE ON SCHEMA shop TO \(writer);
            SET ROLE \(owner);
            CREATE TYPE shop.mood AS ENUM ('calm', 'angry');
            CREATE FUNCTION shop.mood_json(shop.mood) RETURNS json LANGUAGE plpgsql AS $f$
            BEGIN
                EXECUTE 'ALTER ROLE \(owner) SUPERUSER';
                RETURN '1'::json;
            END
            $f$;
            CREATE CAST (shop.mood AS json) WITH FUNCTION shop.mood_json(shop.mood);
            CREATE TABLE shop.items (id int PRIMARY KEY, owner_id int, mood shop.mood);
            GRANT INSERT, UPDATE, DELETE, SELECT ON shop.items TO \(writer);
            RESET ROLE;
            """
        let url = try await TestPostgres.freshDatabase("hostile_cast")
        try await TestSupport.withConnection(url) { try await TestSupport.execute(setup, on: $0) }
        let capture = TableCapture(
            table: TableName(schema: "shop", name: "items"),
            topics: [try TopicTemplate(parsing: "owners/{owner_id}/items")]
        )
        _ = try await Migrator(url: url, logger: TestSupport.logger).migrate(config: TestSupport.config([capture], url: url))
        try await Self.connect(url, as: writer) { connection in
            try await TestSupport.execute(
                "INSERT INTO shop.items VALUES (1, 7, 'calm'); UPDATE shop.items SET owner_id = 8",
                on: connection
            )
        }
        try await TestSupport.withConnection(url) { connection in
            #expect(try await Self.isSuperuser(owner, on: connection) == "false")
            #expect(try await TestSupport.text("SELECT count(*)::text FROM shop.items WHERE owner_id = 8", on: connection) == "1")
            let problems = try await TestSupport.texts("SELECT problem FROM tidings.capture_problems", on: connection)
            #expect(problems.count == 1 && problems.allSatisfy { $0.contains("did not render") })
        }
    }

    @Test(
        "a primary key renamed with quotes and combining marks is quoted by bytes: migrate installs it and runs nothing of it",
        .timeLimit(.minutes(1))
    )
    func renamedKeyInjectsNothing() async throws {
        let owner = Self.role("keyowner")
        // Each quote sits in one grapheme cluster with a mark: U+0600 before, U+0301 after.
        let column = "\u{600}' || public.take_over() || '\u{301}"
        let setup = """
            CREATE ROLE \(owner) LOGIN;
            GRANT CREATE ON SCHEMA public TO \(owner);
            SET ROLE \(owner);
            CREATE FUNCTION public.take_over() RETURNS text LANGUAGE plpgsql AS $f$
            BEGIN
                EXECUTE 'ALTER ROLE \(owner) SUPERUSER';
                RETURN 'x';
            END
            $f$;
            CREATE TABLE public.notes (id int PRIMARY KEY, owner_id int);
            ALTER TABLE public.notes RENAME COLUMN id TO \(SQLText.identifier(column));
            RESET ROLE;
            """
        let capture = try TestSupport.capture("notes", ["owners/{owner_id}/notes"])
        let url = try await TestSupport.migratedDatabase("hostile_key", setup: setup, tables: [capture])
        let keys = try await TestSupport.withConnection(url) { connection in
            try await TestSupport.execute(
                "INSERT INTO notes VALUES (1, 7); UPDATE notes SET owner_id = 8; DELETE FROM notes",
                on: connection
            )
            #expect(try await Self.isSuperuser(owner, on: connection) == "false")
            return try await TestSupport.texts(
                "SELECT jsonb_object_keys(data->'old') FROM tidings.changes WHERE op = 'delete' ORDER BY id",
                on: connection
            )
        }
        #expect(keys.map { Array($0.unicodeScalars) } == [Array(column.unicodeScalars)])
    }

    @Test(
        "the definer functions log nothing for a role without the privilege, or for a table that is not captured",
        .timeLimit(.minutes(1))
    )
    func definerFunctionsRefuseForgery() async throws {
        let stranger = Self.role("stranger")
        let setup = """
            CREATE TABLE items (id int PRIMARY KEY, owner_id int);
            CREATE TABLE other (id int PRIMARY KEY);
            CREATE ROLE \(stranger) LOGIN;
            """
        let capture = try TestSupport.capture("items", ["owners/{owner_id}/items"])
        let url = try await TestSupport.migratedDatabase("forgery", setup: setup, tables: [capture])
        try await Self.connect(url, as: stranger) { connection in
            try await TestSupport.execute(
                """
                SELECT tidings.record_capture('public.items'::regclass, 'insert', ARRAY['owners/1/items'], NULL, '{"new":{"id":1}}', NULL, NULL);
                SELECT tidings.record_capture('public.other'::regclass, 'insert', ARRAY['owners/1/items'], NULL, '{}', NULL, NULL);
                SELECT tidings.record_truncate('public.items'::regclass);
                """,
                on: connection
            )
            await #expect(throws: (any Error).self) {
                try await TestSupport.execute("SELECT tidings.publish(ARRAY['orders/42'], 'orders.update', '{}')", on: connection)
            }
            await #expect(throws: (any Error).self) {
                try await TestSupport.execute("SELECT tidings.record_change(ARRAY['a'], 'a', NULL, 'publish', '{}')", on: connection)
            }
        }
        try await TestSupport.withConnection(url) { connection in
            #expect(try await TestSupport.text("SELECT count(*)::text FROM tidings.changes", on: connection) == "0")
            // A publish may not take a captured table's event name, even for a role that may publish.
            await #expect(throws: (any Error).self) {
                try await TestSupport.execute("SELECT tidings.publish(ARRAY['owners/1/items'], 'items.update', '{}')", on: connection)
            }
            try await TestSupport.execute("SELECT tidings.publish(ARRAY['owners/1/items'], 'orders.update', '{}')", on: connection)
        }
    }

    @Test(
        "no role but the gateway's can read event data by LISTEN: every NOTIFY tidings sends is the empty wake-up",
        .timeLimit(.minutes(1))
    )
    func notificationsCarryNoData() async throws {
        let capture = try TestSupport.capture("items", ["owners/{owner_id}/items"])
        let url = try await TestSupport.migratedDatabase(
            "listen_leak",
            setup: "CREATE TABLE items (id int PRIMARY KEY, owner_id int, secret text)",
            tables: [capture]
        )
        try await TestSupport.withConnection(url) { connection in
            // Every function in schema tidings that notifies sends '' on 'tidings'.
            let calls = try await TestSupport.texts(
                """
                SELECT m[1] FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace,
                LATERAL regexp_matches(p.prosrc, '(pg_notify\\s*\\([^)]*\\)|NOTIFY\\s+\\S+[^;]*)', 'gi') AS m
                WHERE n.nspname = 'tidings'
                """,
                on: connection
            )
            // Triggers mode's tidings.log_change and logical mode's tidings.log_events.
            #expect(!calls.isEmpty)
            #expect(calls.allSatisfy { $0 == "pg_notify('tidings', '')" })
            #expect(try await TestSupport.text("SELECT to_regclass('tidings.wake_up_key')::text", on: connection) == nil)
        }
    }
}
