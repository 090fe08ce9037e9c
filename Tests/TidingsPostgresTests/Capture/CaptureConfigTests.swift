import PostgresNIO
import Testing
import TidingsCore
import TidingsPostgres
import TidingsTestSupport

@Suite struct CaptureConfigTests {
    static let setup = """
        CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id text, status text);
        CREATE TABLE items (id bigserial PRIMARY KEY, label text);
        CREATE TABLE notes (body text);
        """

    @Test("a changed config replaces a trigger; a table no longer named loses its trigger and function", .timeLimit(.minutes(1)))
    func reconfigure() async throws {
        let items = TableName(schema: "public", name: "items")
        let orders = TableName(schema: "public", name: "orders")
        let url = try await TestSupport.migratedDatabase(
            "config_change",
            setup: Self.setup,
            tables: [try TestSupport.capture("orders", ["orders/{id}"]), try TestSupport.capture("items", ["items/{id}"])]
        )
        let changed = TestSupport.config([try TestSupport.capture("orders", ["shop/orders/{id}"])], url: url)
        let report = try await Migrator(url: url, logger: TestSupport.logger).migrate(config: changed)
        #expect(report.updatedCaptures == [orders])
        #expect(report.removedCaptures == [items])
        #expect(report.appliedMigrations.isEmpty)
        let state = try await TestSupport.withConnection(url) { connection in
            try await TestSupport.execute(
                "INSERT INTO orders (status) VALUES ('new'); INSERT INTO items (label) VALUES ('x')",
                on: connection
            )
            return try await TestSupport.texts(
                """
                SELECT 'topics ' || string_agg(array_to_string(topics, ','), ';') FROM tidings.changes
                UNION ALL SELECT 'triggers ' || string_agg(tgrelid::regclass::text, ',') FROM pg_trigger WHERE tgname = 'tidings_capture'
                UNION ALL SELECT 'functions ' || string_agg(proname::text, ',') FROM pg_proc WHERE proname LIKE 'capture_%'
                UNION ALL SELECT 'registry ' || string_agg(table_name, ',') FROM tidings.captures
                """,
                on: connection
            )
        }
        #expect(state == ["topics shop/orders/1", "triggers orders", "functions capture_public_orders", "registry public.orders"])
    }

    @Test("catalog problems name the config line, all are reported, and nothing changes", .timeLimit(.minutes(1)))
    func catalogProblems() async throws {
        let url = try await TestSupport.migratedDatabase(
            "config_problems",
            setup: Self.setup,
            tables: [try TestSupport.capture("orders", ["orders/{id}"])]
        )
        let before = try await TestSupport.withConnection(url) { try await Self.snapshot($0) }
        let bad = TestSupport.config(
            [
                try TestSupport.capture("orders", ["customers/{customer_idx}/orders"], line: 14),
                try TestSupport.capture("items", ["items/{id}"], columns: ["id", "ghost"], line: 20),
                try TestSupport.capture("missing", ["missing/{id}"], line: 25),
                try TestSupport.capture("notes", ["notes"], old: .key, line: 30),
            ],
            url: url
        )
        let error = await #expect(throws: MigrationError.self) {
            try await Migrator(url: url, logger: TestSupport.logger).migrate(config: bad)
        }
        let expected = [
            "tidings.yaml:14: table public.orders has no column customer_idx, used in topic 'customers/{customer_idx}/orders' "
                + "(columns: id, customer_id, status)",
            "tidings.yaml:20: table public.items has no column ghost, listed under columns: (columns: id, label)",
            "tidings.yaml:25: table public.missing does not exist in database (create it, or fix the schema or table name)",
            "tidings.yaml:30: table public.notes has no primary key, which old: key needs (add a primary key, or use old: full or old: none)",
        ]
        #expect(error?.code == .schemaMismatch)
        #expect(error?.problems.map(\.description) == expected)
        let inspected = try await SchemaInspector(url: url, logger: TestSupport.logger).problems(in: bad)
        #expect(inspected.map(\.description) == expected)
        let after = try await TestSupport.withConnection(url) { try await Self.snapshot($0) }
        #expect(after == before)
    }

    @Test("a first migrate that fails validation leaves no tidings schema behind", .timeLimit(.minutes(1)))
    func firstRunFailureLeavesNothing() async throws {
        let url = try await TestPostgres.freshDatabase("config_first")
        let config = TestSupport.config([try TestSupport.capture("missing", ["missing/{id}"])], url: url)
        await #expect(throws: MigrationError.self) { try await Migrator(url: url, logger: TestSupport.logger).migrate(config: config) }
        let schema = try await TestSupport.withConnection(url) {
            try await TestSupport.text("SELECT (to_regnamespace('tidings') IS NULL)::text", on: $0)
        }
        #expect(schema == "true")
    }

    static func snapshot(_ connection: PostgresConnection) async throws -> [String] {
        try await TestSupport.texts(
            """
            SELECT 'migration ' || version || ' ' || applied_at::text FROM tidings.schema_migrations
            UNION ALL SELECT 'capture ' || table_name || ' ' || function_name || ' ' || config_hash || ' ' || installed_at::text
              FROM tidings.captures
            UNION ALL SELECT 'trigger ' || oid::text || ' ' || tgrelid::regclass::text FROM pg_trigger WHERE tgname = 'tidings_capture'
            ORDER BY 1
            """,
            on: connection
        )
    }
}
